package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebDatasetIngestTest {

    @TempDir
    Path tmp;

    static final int PER_TAR = 30;

    /** A sample's members: name -> bytes, in the order they go into the tar. */
    record Member(String name, byte[] bytes) {}

    static List<Member> sample(int i, String prefix) {
        String key = prefix + String.format("%06d", i);
        return List.of(
                new Member(key + ".cls", (i % 5 + "\n").getBytes(StandardCharsets.US_ASCII)),
                new Member(key + ".jpg", TestImages.encode("jpeg", 8 + i % 5, 8, i)),
                new Member(key + ".txt", ("caption \u00e9 " + i).getBytes(StandardCharsets.UTF_8)));
    }

    static List<List<Member>> samples(int tar, String prefix) {
        List<List<Member>> out = new ArrayList<>();
        for (int i = 0; i < PER_TAR; i++) {
            out.add(sample(tar * PER_TAR + i, prefix));
        }
        return out;
    }

    /** Writes the members as files and archives them with GNU tar in the given order. */
    static void gnuTar(Path tarFile, Path work, List<List<Member>> samples) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/tar", "-cf", tarFile.toString(), "-C", work.toString()));
        for (List<Member> s : samples) {
            for (Member m : s) {
                Path f = work.resolve(m.name());
                Files.createDirectories(f.getParent());
                Files.write(f, m.bytes());
                cmd.add(m.name());
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    /** Archives the members with Commons Compress (POSIX long names). */
    static void commonsTar(Path tarFile, List<List<Member>> samples) throws IOException {
        try (OutputStream os = Files.newOutputStream(tarFile);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (List<Member> s : samples) {
                for (Member m : s) {
                    TarArchiveEntry e = new TarArchiveEntry(m.name());
                    e.setSize(m.bytes().length);
                    tar.putArchiveEntry(e);
                    tar.write(m.bytes());
                    tar.closeArchiveEntry();
                }
            }
        }
    }

    void checkRoundTrip(Path ds, List<List<Member>> all) throws IOException {
        try (FileStore store = new FileStore(ds)) {
            Dataset d = Dataset.open(store);
            assertEquals(List.of("__key__", "cls", "jpg", "txt"),
                    d.schema().fields().stream().map(f -> f.name()).toList());
            assertEquals(DType.INT64, d.schema().field("cls").dtype());
            assertEquals("jpeg", d.schema().field("jpg").encoding());
            assertEquals(all.size(), d.manifest().split("train").samples());
            for (int i = 0; i < all.size(); i++) {
                List<Member> s = all.get(i);
                String name = s.get(0).name();
                assertEquals(name.substring(0, name.lastIndexOf('.')),
                        new String(ImageFolderIngestTest.bytes(d.readValue("train", i, 0)), StandardCharsets.UTF_8));
                assertEquals(Long.parseLong(new String(s.get(0).bytes()).trim()),
                        d.readValue("train", i, 1).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                assertArrayEquals(s.get(1).bytes(), ImageFolderIngestTest.bytes(d.readValue("train", i, 2)), "jpg " + i);
                assertArrayEquals(s.get(2).bytes(), ImageFolderIngestTest.bytes(d.readValue("train", i, 3)), "txt " + i);
            }
        }
    }

    @Test
    void tarsWrittenByGnuTarAndByCommonsCompressReadBackAsWritten() throws Exception {
        // a long directory prefix makes GNU tar and Commons Compress use their long-name extensions
        String longDir = "d".repeat(90) + "/";
        List<List<Member>> all = new ArrayList<>();
        Path shards = Files.createDirectories(tmp.resolve("shards"));
        for (int t = 0; t < 4; t++) {
            List<List<Member>> s = samples(t, t == 1 ? longDir : "");
            all.addAll(s);
            Path tar = shards.resolve(String.format("shard-%03d.tar", t));
            if (t % 2 == 0) {
                gnuTar(tar, Files.createDirectories(tmp.resolve("work" + t)), s);
            } else {
                commonsTar(tar, s);
            }
        }
        Path ds = tmp.resolve("ds");
        try (FileStore src = new FileStore(shards);
             FileStore store = new FileStore(ds);
             WebDatasetImporter imp = new WebDatasetImporter(src, BracePattern.expand("shard-{000..003}.tar"),
                     "shard-{000..003}.tar", "train")) {
            new Ingest(imp, store, Ingest.Options.defaults("w", tmp.resolve("st")).withShardBytes(16_000)).run();
            assertTrue(Dataset.open(store).manifest().split("train").shards().size() > 1);
        }
        checkRoundTrip(ds, all);
    }

    @Test
    void aCorruptTarIsNamedWithTheLastGoodMemberAndNothingIsLeft() throws Exception {
        Path shards = Files.createDirectories(tmp.resolve("shards"));
        commonsTar(shards.resolve("a.tar"), samples(0, ""));
        List<List<Member>> two = samples(1, "");
        commonsTar(shards.resolve("b.tar"), two);
        byte[] b = Files.readAllBytes(shards.resolve("b.tar"));
        // the second member's header starts after the first header (512) and its data (2 bytes, padded to 512)
        int header2 = 1024;
        b[header2 + 10] ^= 0x55; // breaks the header checksum
        Files.write(shards.resolve("b.tar"), b);
        Path out = tmp.resolve("ds");
        try (FileStore src = new FileStore(shards);
             FileStore store = new FileStore(out);
             WebDatasetImporter imp = new WebDatasetImporter(src, BracePattern.expand("{a,b}.tar"), "{a,b}.tar", "train")) {
            InputException e = assertThrows(InputException.class,
                    () -> new Ingest(imp, store, Ingest.Options.defaults("w", tmp.resolve("st")).withShardBytes(1000)).run());
            assertTrue(e.getMessage().contains("b.tar") && e.getMessage().contains(two.get(0).get(0).name()),
                    e.getMessage());
        }
        assertEquals(List.of(), ImageFolderIngestTest.keys(out));

        // a tar cut short inside a member's data
        Files.write(shards.resolve("c.tar"), java.util.Arrays.copyOf(Files.readAllBytes(shards.resolve("a.tar")), 5000));
        try (FileStore src = new FileStore(shards)) {
            InputException e = assertThrows(InputException.class,
                    () -> new WebDatasetImporter(src, List.of("c.tar"), "c.tar", "train"));
            assertTrue(e.getMessage().contains("c.tar") && e.getMessage().contains("truncated"), e.getMessage());
        }
        assertEquals(List.of(), ImageFolderIngestTest.keys(out));
    }

    @Test
    void bracePatternsExpandRangesWithPaddingAndLists() {
        assertEquals(List.of("s-000098.tar", "s-000099.tar", "s-000100.tar"), BracePattern.expand("s-{000098..000100}.tar"));
        assertEquals(List.of("a/8.tar", "a/9.tar", "a/10.tar", "b/8.tar", "b/9.tar", "b/10.tar"),
                BracePattern.expand("{a,b}/{8..10}.tar"));
        assertThrows(IllegalArgumentException.class, () -> BracePattern.expand("x-{3..1}.tar"));
    }
}
