package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ingest --from imagefolder:|jsonl:|tokens:} through the CLI: output, exit codes, errors. */
class IngestSourcesCliTest {

    @TempDir
    Path tmp;

    static byte[] jpeg(int seed) throws Exception {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(seed % 8, 0, 0xffffff);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", out);
        return out.toByteArray();
    }

    @Test
    void imageFolderIngestsReportsSkippedFilesAndInspects() throws Exception {
        Path src = tmp.resolve("imgs");
        for (String c : new String[] {"cat", "dog"}) {
            Path d = Files.createDirectories(src.resolve(c));
            for (int i = 0; i < 5; i++) {
                Files.write(d.resolve(i + ".jpg"), jpeg(i));
            }
        }
        Files.writeString(src.resolve("dog").resolve("notes.txt"), "not an image");
        Path ds = tmp.resolve("ds");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "imagefolder:" + src, "--to", ds.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("10 samples") && r.out().contains("Skipped 1 unreadable")
                && r.out().contains("notes.txt"), r.out());
        String manifest = Files.readString(ds.resolve("manifest.json"));
        assertTrue(manifest.contains("\"jpeg\"") && manifest.contains("\"cat\"") && manifest.contains("imagefolder:"),
                manifest);

        // a variable-length field has no fixed size: inspect says so instead of failing half-way
        for (String[] flags : new String[][] {{}, {"--shards"}}) {
            r = CliRunner.run(Main.concat(new String[] {"inspect", ds.toString()}, flags));
            assertEquals(0, r.code(), r.all());
            assertTrue(r.out().contains("image") && r.out().contains("variable length, encoding jpeg")
                    && r.out().contains("total"), r.out());
            assertTrue(r.out().contains(meanLine(ds, 10)), r.out());
        }

        r = CliRunner.run("ingest", "--from", "imagefolder:" + src, "--to", tmp.resolve("strict").toString(), "--strict");
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("notes.txt") && r.err().contains("--strict"), r.err());
        // the failed ingest created the directory: it removes it (README: "removes what it wrote")
        assertFalse(Files.exists(tmp.resolve("strict")), r.all());
    }

    /** The split line's mean as inspect prints it, from the shard files on disk: bytes / samples. */
    private static String meanLine(Path ds, long samples) throws Exception {
        long bytes;
        try (Stream<Path> files = Files.walk(ds)) {
            bytes = files.filter(f -> f.toString().endsWith(".shard")).mapToLong(f -> f.toFile().length()).sum();
        }
        assertTrue(bytes > 0, "no shard files under " + ds);
        return String.format(Locale.ROOT, "mean %,.1f bytes/sample as stored", (double) bytes / samples);
    }

    @Test
    void inspectShowsJsonLinesStringFieldsAsVariableWithEveryShard() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            lines.append("{\"text\":\"").append("word ".repeat(i)).append("\",\"label\":").append(i % 3).append("}\n");
        }
        Path jl = Files.writeString(tmp.resolve("r.jsonl"), lines);
        Path ds = tmp.resolve("reviews");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "text:string,label:int64",
                "--to", ds.toString(), "--shard-size", "1KB");
        assertEquals(0, r.code(), r.all());

        r = CliRunner.run("inspect", ds.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("text") && l.contains("string")
                && l.contains("variable length")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("label") && l.contains("8 bytes/sample")), r.out());
        assertTrue(r.out().contains("40 samples") && r.out().contains(meanLine(ds, 40)), r.out());

        r = CliRunner.run("inspect", "--shards", ds.toString());
        assertEquals(0, r.code(), r.all());
        List<Path> shards;
        try (Stream<Path> files = Files.walk(ds)) {
            shards = files.filter(f -> f.toString().endsWith(".shard")).toList();
        }
        assertTrue(shards.size() > 1, "1KB shards should split 40 lines: " + shards);
        for (Path sh : shards) {
            String key = ds.relativize(sh).toString().replace('\\', '/');
            assertTrue(r.out().lines().anyMatch(l -> l.contains(key)
                    && l.contains(String.format(Locale.ROOT, "%,d bytes", sh.toFile().length()))), key + "\n" + r.out());
        }
    }

    @Test
    void usageErrorsExitTwoAndWriteNothing() throws Exception {
        Path jl = Files.writeString(tmp.resolve("u.jsonl"), "{\"t\":\"x\"}\n");
        Path tok = Files.write(tmp.resolve("u.bin"), new byte[100]);
        Path to = tmp.resolve("never");
        String[][] cases = {
            {"unsupported source 'foo:", "--from", "foo:" + jl},
            {"--dtype is required for tokens: sources (uint16 or uint32", "--from", "tokens:" + tok, "--seq-len", "4"},
            {"--dtype float32: tokens: sources take uint16 or uint32", "--from", "tokens:" + tok, "--dtype", "float32",
                "--seq-len", "4"},
            {"--seq-len is required for tokens:", "--from", "tokens:" + tok, "--dtype", "uint16"},
            {"--fields is required for jsonl:", "--from", "jsonl:" + jl},
            {tmp.resolve("no-such-dir") + ": not a directory", "--from", "imagefolder:" + tmp.resolve("no-such-dir")},
            {tmp.resolve("none.jsonl") + " does not exist", "--from", "jsonl:" + tmp.resolve("none.jsonl"),
                "--fields", "t:string"},
            {"--split 'my split': a split name holds letters, digits", "--from", "jsonl:" + jl, "--fields", "t:string",
                "--split", "my split"},
        };
        for (String[] c : cases) {
            String[] args = Main.concat(new String[] {"ingest", "--to", to.toString()},
                    java.util.Arrays.copyOfRange(c, 1, c.length));
            CliRunner.Result r = CliRunner.run(args);
            assertEquals(Main.USAGE, r.code(), String.join(" ", args) + "\n" + r.all());
            assertTrue(r.err().contains("error: " + c[0]) || r.err().contains(c[0]), c[0] + "\n" + r.err());
            assertFalse(r.err().contains("(got null)"), r.err());
            assertFalse(Files.exists(to), "written before the usage error: " + to);
        }

        // an existing split without --replace: the dataset stays byte for byte as it was
        Path ds = tmp.resolve("ds");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string", "--to", ds.toString());
        assertEquals(0, r.code(), r.all());
        Map<String, String> before = snapshot(ds);
        r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string", "--to", ds.toString());
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("already has split 'train'") && r.err().contains("--replace"), r.err());
        assertEquals(before, snapshot(ds));
    }

    @Test
    void refusesANonEmptyDirectoryThatIsNoDatasetButTakesLeftoversOfAKilledIngest() throws Exception {
        Path jl = Files.writeString(tmp.resolve("n.jsonl"), "{\"t\":\"x\"}\n");
        Path user = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(user.resolve("holiday.txt"), "mine");
        Map<String, String> before = snapshot(user);
        CliRunner.Result r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string",
                "--to", user.toString());
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains(user + " is a non-empty directory that is not a Sluice dataset")
                && r.err().contains("holiday.txt") && r.err().contains("empty or new directory"), r.err());
        assertEquals(before, snapshot(user));

        // an ingest killed before its journal was written leaves only its staging directory: not the user's
        Path killed = Files.createDirectories(tmp.resolve("killed").resolve(IngestTarget.STAGING));
        Files.write(killed.resolve("train-00003.shard"), new byte[100]); // half-written when it was killed
        r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string", "--to", killed.getParent().toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(Files.exists(killed.getParent().resolve("manifest.json")));
        assertFalse(Files.exists(killed), "the staging directory and the killed ingest's leftovers are gone");

        // the root of a new ext4 disk holds only lost+found: a dataset may go there
        Path disk = Files.createDirectories(tmp.resolve("disk").resolve("lost+found")).getParent();
        r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string", "--to", disk.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(Files.isDirectory(disk.resolve("lost+found")) && Files.exists(disk.resolve("manifest.json")));

        // one killed later leaves its journal: the ingest goes on to read it (here: not a journal)
        Path journalled = Files.createDirectories(tmp.resolve("journalled").resolve("train"));
        Files.writeString(journalled.getParent().resolve(IngestTarget.JOURNAL), "{}");
        r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string", "--to",
                journalled.getParent().toString(), "--resume");
        assertFalse(r.err().contains("non-empty directory"), r.err());
        assertTrue(r.err().contains("unreadable ingest journal"), r.err());
    }

    @Test
    void failedIngestRemovesTheDirectoriesItCreatedAndNothingElse() throws Exception {
        // 20 good lines, then a bad one: with 1-byte shards, shards (and their directories) are
        // written before the ingest fails, so the cleanup has something to remove
        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"t\":\"x\"}\n".repeat(20) + "42\n");
        String[] src = {"ingest", "--from", "jsonl:" + bad, "--fields", "t:string", "--shard-size", "1"};

        // new nested directories: all of them go
        Path nested = tmp.resolve("a").resolve("b").resolve("ds");
        CliRunner.Result r = CliRunner.run(Main.concat(src, "--to", nested.toString()));
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains(bad + ":21"), r.err());
        assertFalse(Files.exists(tmp.resolve("a")), r.all());

        // an empty directory the user made stays, empty
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        r = CliRunner.run(Main.concat(src, "--to", empty.toString()));
        assertEquals(1, r.code(), r.all());
        assertEquals(Map.of(), snapshot(empty));

        // an existing dataset keeps its files and gains nothing from a failed new split
        Path ds = tmp.resolve("ds");
        Path good = Files.writeString(tmp.resolve("good.jsonl"), "{\"t\":\"x\"}\n");
        r = CliRunner.run("ingest", "--from", "jsonl:" + good, "--fields", "t:string", "--to", ds.toString());
        assertEquals(0, r.code(), r.all());
        Map<String, String> before = snapshot(ds);
        r = CliRunner.run(Main.concat(src, "--to", ds.toString(), "--split", "val"));
        assertEquals(1, r.code(), r.all());
        assertEquals(before, snapshot(ds));

        // --staging names the user's directory: shards wait in a subdirectory of it, and only that goes
        Path staging = Files.createDirectories(tmp.resolve("scratch"));
        Files.writeString(staging.resolve("keep.txt"), "mine");
        r = CliRunner.run("ingest", "--from", "jsonl:" + good, "--fields", "t:string", "--to",
                tmp.resolve("staged").toString(), "--staging", staging.toString());
        assertEquals(0, r.code(), r.all());
        assertEquals(Map.of("keep.txt", "4"), snapshot(staging));
    }

    @Test
    void progressWithoutATerminalIsWholeLines() throws Exception {
        Path src = tmp.resolve("imgs");
        Path d = Files.createDirectories(src.resolve("cat"));
        for (int i = 0; i < 3; i++) {
            Files.write(d.resolve(i + ".jpg"), jpeg(i));
        }
        CliRunner.Result r = CliRunner.run("ingest", "--from", "imagefolder:" + src, "--to", tmp.resolve("p").toString());
        assertEquals(0, r.code(), r.all());
        assertFalse(r.all().contains("\r"), r.all());
        List<String> progress = r.err().lines().filter(l -> l.startsWith("ingest train")).toList();
        assertEquals(List.of("ingest train   0%  0/3 files", "ingest train 100%  3/3 files"),
                progress.stream().map(l -> l.replaceAll("  [0-9.,]+ files/s.*", "")).toList(), r.err());
    }

    /** Every file under {@code dir} (relative path to size) and every directory (path/ to "dir"). */
    private static Map<String, String> snapshot(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(f).toString(), Long.toString(Files.size(f)));
            }
        }
        Map<String, String> dirs = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(p -> !p.equals(dir) && Files.isDirectory(p)).forEach(p -> dirs.put(dir.relativize(p) + "/", "dir"));
        }
        m.putAll(dirs);
        return m;
    }

    @Test
    void badJsonLinesAndTokenFilesExitNonZeroNamingWhere() throws Exception {
        Path jl = Files.writeString(tmp.resolve("a.jsonl"), "{\"t\":\"x\"}\n42\n");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string",
                "--to", tmp.resolve("j").toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains(jl + ":2") && r.err().contains("JSON object"), r.err());
        assertFalse(Files.exists(tmp.resolve("j").resolve("manifest.json")));

        Path tok = Files.write(tmp.resolve("t.bin"), new byte[101]);
        r = CliRunner.run("ingest", "--from", "tokens:" + tok, "--dtype", "uint16", "--seq-len", "4",
                "--to", tmp.resolve("t").toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains(tok.toString()) && r.err().contains("101 bytes"), r.err());

        Path ok = Files.write(tmp.resolve("ok.bin"), new byte[100]);
        r = CliRunner.run("ingest", "--from", "tokens:" + ok, "--dtype", "uint16", "--seq-len", "4",
                "--to", tmp.resolve("ok").toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("12 samples"), r.out()); // (50 tokens - 1) / 4
    }
}
