package dev.flopcast.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.artifact.DependencyResolutionRequiredException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * {@code mvn jmh:run}: forks {@code org.openjdk.jmh.Main} on the benchmarks module's runtime
 * classpath (JMH needs its generated BenchmarkList on a real classpath, which Maven's own class
 * loader is not), with {@code java.io.tmpdir} under {@code benchmarks/target} (JMH's lock file in
 * /tmp collides with other JMH runs), writing JMH's JSON into {@code results/raw/}; then forks the
 * configured {@code deriveMainClass}, which writes {@code results/measurements.csv} and prints the
 * summary; then the configured {@code calibrateMainClass} with {@code calibrate}, which writes
 * {@code calibration.csv}, {@code report.md} and the charts beside it (a partial run, {@code -Djmh.include=...}, may lack what calibration needs:
 * then it is skipped with a warning). Results go to the repository root's {@code results/} (quick runs: {@code results/quick/})
 * whether Maven starts at the root or in {@code benchmarks/}. The mojo names no benchmark: the quick
 * run's exclusion and parameters and the two main classes are its configuration in the root pom.
 */
@Mojo(name = "run", aggregator = true, requiresDependencyResolution = ResolutionScope.RUNTIME, threadSafe = true)
public class RunMojo extends AbstractMojo {
    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    @Parameter(defaultValue = "${reactorProjects}", readonly = true, required = true)
    private List<MavenProject> reactorProjects;

    /**
     * About two minutes on 2 vCPUs: the tiny shape, one warm-up iteration, {@link #quickIterations}
     * iterations of 10 ms; writes results/quick/.
     */
    @Parameter(property = "flopcast.quick", defaultValue = "false")
    boolean quick;

    /** JMH's benchmark regex (JMH: the positional argument); every benchmark of the module where not given. */
    @Parameter(property = "jmh.include")
    String include;

    /**
     * The JMH -e regex of what the quick run leaves out (where not set, what the default run leaves
     * out), and its -p parameters separated by ';': set where the benchmarks are configured (the root
     * pom), not here, so the mojo names no benchmark. A benchmark named by {@code -Djmh.include} runs
     * in either run.
     */
    @Parameter
    String quickExclude;

    @Parameter
    String quickParams;

    /**
     * The quick run's JMH -i, set in the root pom beside its parameters: enough that every row of a
     * trial whose rows take turns (one iteration each, in turn) gets five, the fewest that tell a spread.
     */
    @Parameter
    String quickIterations;

    /**
     * The JMH -e regex of what the default run leaves out (run it by naming it: {@code -Djmh.include}
     * overrides this), set in the root pom like the quick run's.
     */
    @Parameter
    String defaultExclude;

    /** The main class that turns JMH's JSON into measurements.csv (arguments as its javadoc says). */
    @Parameter(required = true)
    String deriveMainClass;

    /** The main class whose {@code calibrate --results FILE} writes the calibration beside the measurements. */
    @Parameter(required = true)
    String calibrateMainClass;

    /** JMH -e. */
    @Parameter(property = "jmh.exclude")
    String exclude;

    /** JMH -f. */
    @Parameter(property = "jmh.forks")
    String forks;

    /** JMH -wi. */
    @Parameter(property = "jmh.warmupIterations")
    String warmupIterations;

    /** JMH -i. */
    @Parameter(property = "jmh.iterations")
    String iterations;

    /** JMH -w, for example 500ms. */
    @Parameter(property = "jmh.warmupTime")
    String warmupTime;

    /** JMH -r, for example 1s. */
    @Parameter(property = "jmh.time")
    String time;

    /** JMH -p, several separated by ';', for example shape=tiny;pass=forward. */
    @Parameter(property = "jmh.params")
    String params;

    /** JMH -prof; "gc" by default (allocation per op); "none" for no profiler. */
    @Parameter(property = "jmh.prof", defaultValue = "gc")
    String prof;

    /** The module whose benchmarks run. */
    @Parameter(property = "flopcast.benchmarksArtifactId", defaultValue = "flopcast-benchmarks")
    private String benchmarksArtifactId;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        MavenProject benchmarks = reactorProjects.stream()
                .filter(p -> p.getArtifactId().equals(benchmarksArtifactId)).findFirst()
                .orElseThrow(() -> new MojoFailureException("mvn jmh:run: no " + benchmarksArtifactId
                        + " module here; run it from the repository root or from benchmarks/"));
        Path benchmarkClasses = Path.of(benchmarks.getBuild().getOutputDirectory());
        if (!Files.isRegularFile(benchmarkClasses.resolve("META-INF/BenchmarkList"))) {
            throw new MojoFailureException("mvn jmh:run: the benchmarks are not built (no " + benchmarkClasses
                    + "/META-INF/BenchmarkList); run mvn install first");
        }
        Path root = repositoryRoot(benchmarks);
        Path results = quick ? root.resolve("results").resolve("quick") : root.resolve("results");
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String runId = RUN_ID.format(started);
        Path raw = results.resolve("raw").resolve(runId + ".json");
        Path temporary = Path.of(benchmarks.getBuild().getDirectory()).resolve("jmh-tmp");
        String classpath;
        try {
            Files.createDirectories(raw.getParent());
            Files.createDirectories(temporary);
            classpath = String.join(java.io.File.pathSeparator, benchmarks.getRuntimeClasspathElements());
        } catch (IOException | DependencyResolutionRequiredException e) {
            throw new MojoExecutionException("mvn jmh:run: " + e.getMessage(), e);
        }
        getLog().info("flopcast: running " + (quick ? "the quick benchmark set" : "the benchmarks")
                + "; JMH prints each benchmark, its parameters and the run's progress and ETA");
        List<String> jmh = jmhArguments(raw);
        getLog().info("flopcast: JMH " + String.join(" ", jmh));
        fork(classpath, temporary, "org.openjdk.jmh.Main", jmh, "JMH", false);
        fork(classpath, temporary, deriveMainClass, List.of("--raw", raw.toString(), "--out",
                results.toString(), "--run-id", runId, "--started", started.toString(), "--repository",
                root.toString()), "deriving measurements.csv", false);
        int calibrated = fork(classpath, temporary, calibrateMainClass, List.of("calibrate", "--results",
                results.resolve("measurements.csv").toString()), "calibrating", true);
        if (calibrated == REFUSED) {
            // a refusal is an answer (a failed peak probe, a partial run): the measurements stand, marked
            getLog().warn("flopcast: no calibration from this run; the line above says why. measurements.csv is"
                    + " written, its marked rows say what is wrong; report.md says the run was refused (an earlier"
                    + " run's calibration.csv and charts are removed)");
        }
    }

    /** The exit code with which flopcast refuses its input (one line on stderr). */
    static final int REFUSED = 2;

    /** JMH's command line: the include regex, JSON into raw/, the profiler, quick or user settings. */
    List<String> jmhArguments(Path raw) {
        List<String> args = new ArrayList<>();
        if (include != null && !include.isBlank()) {
            args.add(include);
        }
        args.addAll(List.of("-rf", "json", "-rff", raw.toString()));
        boolean named = include != null && !include.isBlank();
        // a benchmark named runs even where a run leaves it out; the quick run leaves out what the default run does
        // unless it is configured to leave out something else
        String excluded = exclude != null && !exclude.isBlank() ? exclude : named ? null
                : quick && quickExclude != null && !quickExclude.isBlank() ? quickExclude : defaultExclude;
        if (excluded != null && !excluded.isBlank()) {
            args.addAll(List.of("-e", excluded));
        }
        if (prof != null && !prof.isBlank() && !prof.equals("none")) {
            args.addAll(List.of("-prof", prof));
        }
        option(args, "-f", forks, quick ? "1" : null);
        option(args, "-wi", warmupIterations, quick ? "1" : null);
        option(args, "-i", iterations, quick ? quickIterations : null);
        option(args, "-w", warmupTime, quick ? "10ms" : null);
        option(args, "-r", time, quick ? "10ms" : null);
        String parameters = params != null && !params.isBlank() ? params : quick ? quickParams : null;
        if (parameters != null && !parameters.isBlank()) {
            for (String parameter : parameters.split(";")) {
                args.addAll(List.of("-p", parameter.strip()));
            }
        }
        return args;
    }

    private static void option(List<String> args, String flag, String given, String quickDefault) {
        String value = given != null && !given.isBlank() ? given : quickDefault;
        if (value != null) {
            args.addAll(List.of(flag, value));
        }
    }

    /** Runs {@code mainClass}; returns its exit code, which must be 0, or {@link #REFUSED} where {@code mayRefuse}. */
    private int fork(String classpath, Path temporary, String mainClass, List<String> arguments, String what,
            boolean mayRefuse) throws MojoExecutionException, MojoFailureException {
        // a main class that needs the Vector API module restarts itself with it (flopcast's VectorModule)
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Djava.io.tmpdir=" + temporary, "-cp", classpath, mainClass));
        command.addAll(arguments);
        int code;
        try {
            code = new ProcessBuilder(command).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new MojoExecutionException("mvn jmh:run: cannot start " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("mvn jmh:run: interrupted while " + what, e);
        }
        if (code != 0 && !(mayRefuse && code == REFUSED)) {
            throw new MojoFailureException("mvn jmh:run: " + what + " failed (exit code " + code + ")");
        }
        return code;
    }

    /** The top-most parent project's directory: the repository root. */
    private static Path repositoryRoot(MavenProject project) {
        MavenProject top = project;
        while (top.getParent() != null && top.getParent().getBasedir() != null) {
            top = top.getParent();
        }
        return top.getBasedir().toPath();
    }
}
