package flopcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * Every command that {@code README.md} and the {@code docs/} pages show with its output prints
 * exactly that output.
 *
 * <p>A command block is a fenced block (a line starting with three backticks opens it, the next
 * such line closes it) whose first line is {@link #PROMPT} followed by the command's arguments
 * (separated by spaces, no quotes); every line after it up to the closing fence is the output
 * shown. The command runs in-process ({@link CliRun}), must exit 0, and must print those lines.
 * Other fenced blocks ({@code mvn install}, {@code torchrun ...}, output shown without a prompt)
 * are text and not run. A prompt outside a fence or below a block's first line, and a
 * {@code $ java -jar} line naming another jar, fail: they would be skipped silently.
 *
 * <p>Update mode: {@code mvn -o verify -Dtest=ReadmeTest -Dflopcast.docs.update=true} (Maven hands
 * {@code -D} properties to the test JVM) writes each block's real output in place of the shown one
 * instead of comparing; read the diff before committing it.
 */
class ReadmeTest {
    static final String PROMPT = "$ java -jar cli/target/flopcast.jar ";
    static final String UPDATE_PROPERTY = "flopcast.docs.update";

    private static final Path ROOT = Path.of("..");
    private static final Pattern PROMPT_AT_LINE_START = Pattern.compile("(?m)^" + Pattern.quote(PROMPT));
    private static final Pattern ANCHOR_LINK = Pattern.compile("\\]\\(([^)\\s#]*)#([^)\\s]+)\\)");
    private static final Pattern DOCS_LINK = Pattern.compile("\\]\\((docs/[^)#]+\\.md)(#[^)]*)?\\)");

    /** One command block: the prompt's line, its arguments, and the output lines shown below it. */
    record Block(int promptLine, String command, List<String> arguments, List<String> shown) {
        /** Index of the block's closing fence. */
        int closingLine() {
            return promptLine + 1 + shown.size();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCommandBlockPrintsWhatItShows() throws IOException {
        return pages().stream().map(page -> DynamicTest.dynamicTest(ROOT.relativize(page).toString(),
                () -> check(page)));
    }

    @Test
    void theReadmeShowsAtLeastOneCommand() throws IOException {
        Path readme = ROOT.resolve("README.md");
        assertTrue(commandBlocks(Files.readAllLines(readme), readme.toString()).size() >= 1,
                "README.md shows no command block");
    }

    /** Every docs/ page is reachable from the README, and every docs/ page the README links exists. */
    @Test
    void theReadmeLinksEveryDocsPageAndOnlyPagesThatExist() throws IOException {
        Set<String> linked = new TreeSet<>();
        Matcher link = DOCS_LINK.matcher(Files.readString(ROOT.resolve("README.md")));
        while (link.find()) {
            linked.add(link.group(1));
        }
        Set<String> present = new TreeSet<>();
        for (Path page : pages()) {
            if (!page.getFileName().toString().equals("README.md")) {
                present.add("docs/" + page.getFileName());
            }
        }
        assertTrue(present.size() >= 6, "docs/ has its pages: " + present);
        assertEquals(present, linked, "the docs/ pages against the README's links to docs/");
    }

    /** Every link into a heading ({@code page.md#anchor} or {@code #anchor}) names a heading its page has. */
    @Test
    void everyLinkToAHeadingFindsIt() throws IOException {
        int checked = 0;
        for (Path page : pages()) {
            Matcher link = ANCHOR_LINK.matcher(Files.readString(page));
            while (link.find()) {
                Path target = link.group(1).isEmpty() ? page : page.resolveSibling(link.group(1)).normalize();
                assertTrue(Files.exists(target), page + " links to " + link.group() + ": no such page");
                assertTrue(anchors(Files.readAllLines(target)).contains(link.group(2)),
                        page + " links to " + link.group() + ": " + target + " has no such heading");
                checked++;
            }
        }
        assertTrue(checked >= 5, "links into headings checked: " + checked);
    }

    /** GitHub's anchors for a page's headings: lower case, punctuation but '-' and '_' dropped, spaces as '-'. */
    static Set<String> anchors(List<String> lines) {
        Set<String> anchors = new TreeSet<>();
        boolean fenced = false;
        for (String line : lines) {
            fenced ^= line.startsWith("```");
            if (!fenced && line.startsWith("#")) {
                String title = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
                anchors.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }

    /** README.md, then every docs/*.md in name order. */
    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /**
     * Runs every command block of {@code page} and compares (or, in update mode, rewrites) its
     * output; returns how many blocks it checked, after asserting that this is every prompt line
     * the page holds.
     */
    static int check(Path page) throws IOException {
        String text = Files.readString(page, StandardCharsets.UTF_8);
        List<String> lines = List.of(text.split("\n", -1));
        List<Block> blocks = commandBlocks(lines, page.toString());
        boolean update = Boolean.getBoolean(UPDATE_PROPERTY);
        List<String> outputs = new ArrayList<>();
        for (Block block : blocks) {
            CliRun run = CliRun.of(block.arguments().toArray(String[]::new));
            assertEquals(0, run.exitCode(), page + ": " + block.command() + " failed: " + run.err());
            if (!update) {
                assertEquals(shownText(block), run.out(), page + " line " + (block.promptLine() + 1)
                        + ": the output of " + block.command());
            }
            outputs.add(run.out());
        }
        List<String> rewritten = withOutputs(lines, blocks, outputs);
        if (update && !rewritten.equals(lines)) {
            Files.writeString(page, String.join("\n", rewritten), StandardCharsets.UTF_8);
            System.out.println("ReadmeTest: rewrote the output of " + blocks.size() + " command blocks in " + page);
        }
        assertEquals(count(PROMPT_AT_LINE_START.matcher(text)), blocks.size(),
                page + ": every prompt line is one checked command block");
        return blocks.size();
    }

    /** The command blocks of a Markdown page, in order; {@code name} names the page in failures. */
    static List<Block> commandBlocks(List<String> lines, String name) {
        List<Block> blocks = new ArrayList<>();
        int open = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                if (open < 0) {
                    open = i;
                } else {
                    if (open + 1 < i && lines.get(open + 1).startsWith(PROMPT)) {
                        blocks.add(block(lines, open + 1, i, name));
                    }
                    open = -1;
                }
                continue;
            }
            boolean first = i == open + 1;
            if (line.startsWith(PROMPT) && (open < 0 || !first)) {
                fail(name + " line " + (i + 1) + ": a prompt must be the first line of a fenced block: " + line);
            }
            if (line.startsWith("$ java -jar ") && !line.startsWith(PROMPT)) {
                fail(name + " line " + (i + 1) + ": the jar is run as '" + PROMPT.strip() + "': " + line);
            }
        }
        if (open >= 0) {
            fail(name + " line " + (open + 1) + ": a fenced block is never closed");
        }
        return blocks;
    }

    /** The output a block shows, as the command would print it: each line ended by a newline. */
    static String shownText(Block block) {
        return block.shown().isEmpty() ? "" : String.join("\n", block.shown()) + "\n";
    }

    /** {@code lines} with each block's shown output replaced by the matching printed output. */
    static List<String> withOutputs(List<String> lines, List<Block> blocks, List<String> outputs) {
        List<String> rewritten = new ArrayList<>(lines);
        for (int b = blocks.size() - 1; b >= 0; b--) {
            Block block = blocks.get(b);
            String out = outputs.get(b);
            List<String> printed = out.isEmpty() ? List.of()
                    : List.of((out.endsWith("\n") ? out.substring(0, out.length() - 1) : out).split("\n", -1));
            rewritten.subList(block.promptLine() + 1, block.closingLine()).clear();
            rewritten.addAll(block.promptLine() + 1, printed);
        }
        return rewritten;
    }

    private static Block block(List<String> lines, int prompt, int closing, String name) {
        String command = lines.get(prompt);
        String arguments = command.substring(PROMPT.length()).strip();
        if (arguments.isEmpty() || arguments.matches(".*[\"'\\\\`].*")) {
            fail(name + " line " + (prompt + 1) + ": a command is its arguments separated by spaces, with no quotes"
                    + " or escapes: " + command);
        }
        return new Block(prompt, command, List.of(arguments.split("\\s+")),
                List.copyOf(lines.subList(prompt + 1, closing)));
    }

    private static int count(Matcher matcher) {
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }

    // The parser itself, on pages written to catch each way it could go wrong.

    @Test
    void onlyBlocksOpeningWithThePromptAreCommandsAndTheirOutputRunsToTheClosingFence() {
        List<String> page = List.of(
                "# t", "", "```", "mvn install", "mvn jmh:run", "```", "",
                "```text", PROMPT + "devices --format csv", "device,description", "a100,x", "```",
                "```", "$ torchrun --standalone probes/torch/probe.py --batch 4", "probe: ...", "```",
                "```", "java -jar cli/target/flopcast.jar train --steps 5", "flopcast train: ...", "```",
                "```", PROMPT + "host", "```", "text after");
        List<Block> blocks = commandBlocks(page, "page");
        assertEquals(2, blocks.size());
        assertEquals(List.of("devices", "--format", "csv"), blocks.get(0).arguments());
        assertEquals(List.of("device,description", "a100,x"), blocks.get(0).shown());
        assertEquals(11, blocks.get(0).closingLine());
        assertEquals(List.of("host"), blocks.get(1).arguments());
        assertEquals(List.of(), blocks.get(1).shown());
    }

    @Test
    void aPromptOutsideAFenceOrBelowABlocksFirstLineAnotherJarAQuoteOrAnOpenFenceFails() {
        List<List<String>> broken = List.of(
                List.of(PROMPT + "devices"),
                List.of("```", PROMPT + "devices", PROMPT + "host", "```"),
                List.of("```", "some text", PROMPT + "devices", "```"),
                List.of("```", "$ java -jar measure/target/flopcast.jar devices", "```"),
                List.of("```", PROMPT + "predict --hf-config 'a b.json'", "```"),
                List.of("```", PROMPT, "```"),
                List.of("```", PROMPT + "devices"));
        for (List<String> page : broken) {
            assertThrows(AssertionFailedError.class, () -> commandBlocks(page, "page"), String.join("\n", page));
        }
    }

    @Test
    void anchorsAreGitHubsForHeadingsOutsideFences() {
        assertEquals(Set.of("diff-where-the-two-accountings-disagree", "which-rows-to-trust-valid-and-status",
                "bf16-on-the-jvm"), anchors(List.of("## diff: where the two accountings disagree", "```",
                "# not a heading", "```", "### Which rows to trust: `valid` and `status`", "## bf16 on the JVM")));
    }

    @Test
    void updateModeReplacesEachBlocksOutputAndNothingElse() {
        List<String> page = List.of("intro", "```", PROMPT + "devices", "old 1", "old 2", "```", "middle",
                "```", PROMPT + "host", "```", "end");
        List<Block> blocks = commandBlocks(page, "page");
        assertEquals(List.of("intro", "```", PROMPT + "devices", "new 1", "```", "middle", "```", PROMPT + "host",
                "new 2", "new 3", "```", "end"), withOutputs(page, blocks, List.of("new 1\n", "new 2\nnew 3\n")));
        List<String> same = withOutputs(page, blocks, blocks.stream().map(ReadmeTest::shownText).toList());
        assertEquals(page, same, "the shown output written back is the page unchanged");
    }

    /** A shown output that differs from what the command prints fails; update mode would rewrite it. */
    @Test
    void aBlockWhoseShownOutputDiffersFromThePrintedOutputFails(@TempDir Path dir)
            throws IOException {
        String devices = CliRun.of("devices", "--format", "csv").out();
        Path right = dir.resolve("right.md");
        Files.writeString(right, "```\n" + PROMPT + "devices --format csv\n" + devices + "```\n");
        assertEquals(1, check(right));
        Path wrong = dir.resolve("wrong.md");
        Files.writeString(wrong, "```\n" + PROMPT + "devices --format csv\n" + devices.replace("1.95E13", "1.96E13")
                + "```\n");
        if (!Boolean.getBoolean(UPDATE_PROPERTY)) {
            assertThrows(AssertionFailedError.class, () -> check(wrong));
        }
    }
}
