package dev.flopcast.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunMojoTest {
    private static final Path RAW = Path.of("results", "raw", "run.json");

    private static RunMojo mojo() {
        RunMojo mojo = new RunMojo();
        mojo.prof = "gc";
        mojo.quickExclude = "Slow|Other";
        mojo.quickParams = "shape=tiny;parameters=65536";
        mojo.quickIterations = "160";
        mojo.defaultExclude = "Minute";
        return mojo;
    }

    @Test
    void defaultRunKeepsTheAnnotationsSettingsAndLeavesOutItsExclusion() {
        assertEquals(List.of("-rf", "json", "-rff", RAW.toString(), "-e", "Minute", "-prof", "gc"),
                mojo().jmhArguments(RAW));
    }

    @Test
    void aNamedBenchmarkRunsEvenWhereTheDefaultRunLeavesItOut() {
        RunMojo mojo = mojo();
        mojo.include = "Minute";
        assertEquals(List.of("Minute", "-rf", "json", "-rff", RAW.toString(), "-prof", "gc"), mojo.jmhArguments(RAW));
    }

    @Test
    void quickRunIsShortAndTiny() {
        RunMojo mojo = mojo();
        mojo.quick = true;
        assertEquals(List.of("-rf", "json", "-rff", RAW.toString(), "-e", "Slow|Other", "-prof", "gc", "-f", "1",
                "-wi", "1", "-i", "160", "-w", "10ms", "-r", "10ms", "-p", "shape=tiny", "-p", "parameters=65536"),
                mojo.jmhArguments(RAW));
    }

    @Test
    void aNamedBenchmarkRunsInTheQuickRunToo() {
        RunMojo mojo = mojo();
        mojo.quick = true;
        mojo.include = "Slow";
        assertFalse(mojo.jmhArguments(RAW).contains("-e"), "the quick exclusion would leave out what was named");
        mojo.include = null;
        mojo.quickExclude = null;
        mojo.defaultExclude = "Default";
        List<String> args = mojo.jmhArguments(RAW);
        assertEquals("Default", args.get(args.indexOf("-e") + 1), "without its own, the quick run leaves out the default's");
    }

    @Test
    void jmhPropertiesOverrideQuickDefaults() {
        RunMojo mojo = mojo();
        mojo.quick = true;
        mojo.include = "Matmul";
        mojo.iterations = "7";
        mojo.params = "shape=small; pass=forward";
        mojo.exclude = "Nothing";
        mojo.prof = "none";
        List<String> args = mojo.jmhArguments(RAW);
        assertEquals("Matmul", args.get(0));
        assertEquals("7", args.get(args.indexOf("-i") + 1));
        assertEquals(List.of("-p", "shape=small", "-p", "pass=forward"), args.subList(args.size() - 4, args.size()));
        assertFalse(args.contains("-prof"));
        assertEquals("Nothing", args.get(args.indexOf("-e") + 1), "-Djmh.exclude replaces the quick exclusion");
    }
}
