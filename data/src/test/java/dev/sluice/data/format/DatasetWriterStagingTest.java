package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer cleans up what it staged, and only that: a staging directory the caller named keeps its files. */
class DatasetWriterStagingTest {

    @TempDir
    Path tmp;

    private static final Schema SCHEMA = Schema.of(FieldSpec.of("x", DType.UINT8, 4));

    private static void write(ObjectStore store, Path staging, boolean commit) throws IOException {
        // a 1-byte target: every sample closes a shard
        try (DatasetWriter w = new DatasetWriter(store, "s", SCHEMA, 1, staging, Map.of(), null)) {
            for (int i = 0; i < 3; i++) {
                w.add("train", ByteBuffer.wrap(new byte[] {(byte) i, 1, 2, 3}));
            }
            if (commit) {
                w.commit();
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aStagingDirectoryTheCallerOwnsKeepsTheirFilesAndLosesNone() throws IOException {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        Files.writeString(scratch.resolve("notes.txt"), "mine");
        Files.createDirectories(scratch.resolve("results")).resolve("a.csv").toFile().createNewFile();
        write(new FileStore(tmp.resolve("ds")), scratch, true);
        assertEquals(List.of("notes.txt", "results"), names(scratch), "only the writer's shard files went");
        assertEquals("mine", Files.readString(scratch.resolve("notes.txt")));
        assertTrue(Files.exists(scratch.resolve("results/a.csv")));
        assertEquals(3, Dataset.open(new FileStore(tmp.resolve("ds"))).manifest().split("train").shards().size());

        // a failed (uncommitted) ingest removes its published shards and staged files, still nothing of theirs
        write(new FileStore(tmp.resolve("ds2")), scratch, false);
        assertEquals(List.of("notes.txt", "results"), names(scratch));
    }

    @Test
    void aStagingDirectoryTheWriterCreatesIsItsUsersAlone() throws IOException {
        // shards of a private dataset wait there, often under a shared /tmp
        Path staging = tmp.resolve("fresh/staging");
        try (DatasetWriter w = new DatasetWriter(new FileStore(tmp.resolve("ds")), "s", SCHEMA, 1, staging, Map.of(), null)) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(staging)));
            // its parents are not the writer's to close off (staging often lies inside the dataset)
            assertEquals(Files.getPosixFilePermissions(Files.createDirectories(tmp.resolve("made-here"))),
                    Files.getPosixFilePermissions(staging.getParent()));
        }
    }

    @Test
    void aStagingDirectoryTheWriterCreatedIsRemoved() throws IOException {
        Path staging = tmp.resolve("new/staging");
        write(new FileStore(tmp.resolve("ds")), staging, true);
        assertFalse(Files.exists(staging), "created by the writer, removed on close");
        write(new FileStore(tmp.resolve("ds2")), staging, false);
        assertFalse(Files.exists(staging));
    }
}
