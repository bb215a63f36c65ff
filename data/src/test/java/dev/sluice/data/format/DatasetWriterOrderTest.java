package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards published out of order (two in flight) are still listed, and read, in the order they were cut. */
class DatasetWriterOrderTest {

    @TempDir
    Path tmp;

    @Test
    void aShardPublishedBeforeAnEarlierOneIsListedAfterIt() throws Exception {
        Schema schema = Schema.of(FieldSpec.of("x", DType.UINT8, 4));
        CountDownLatch secondDone = new CountDownLatch(1);
        try (SecondFirst store = new SecondFirst(new FileStore(tmp.resolve("ds")), secondDone)) {
            // a 1-byte target: every sample closes a shard
            try (DatasetWriter w = new DatasetWriter(store, "order", schema, 1, tmp.resolve("st"), Map.of(), null)) {
                for (int i = 0; i < 4; i++) {
                    w.add("train", ByteBuffer.wrap(new byte[] {(byte) i, 1, 2, 3}));
                }
                w.commit();
            }
            assertTrue(store.firstWaited, "shard 0 was published after shard 1");
            Dataset d = Dataset.open(store);
            List<ShardInfo> shards = d.manifest().split("train").shards();
            assertEquals(4, shards.size());
            for (int i = 0; i < 4; i++) {
                assertTrue(shards.get(i).key().endsWith(String.format("-%05d.shard", i)), shards.get(i).key());
                assertEquals(i, d.readValue("train", i, 0).get(0));
            }
        }
    }

    /** A local store whose publish of shard 0 waits until shard 1 is published. */
    private static final class SecondFirst implements ObjectStore {
        private final FileStore files;
        private final CountDownLatch secondDone;
        volatile boolean firstWaited;

        SecondFirst(FileStore files, CountDownLatch secondDone) {
            this.files = files;
            this.secondDone = secondDone;
        }

        @Override
        public void publish(String key, Path source) throws IOException {
            if (key.endsWith("-00000.shard")) {
                try {
                    firstWaited = secondDone.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
            }
            files.publish(key, source);
            if (key.endsWith("-00001.shard")) {
                secondDone.countDown();
            }
        }

        @Override
        public String location() {
            return files.location();
        }

        @Override
        public long size(String key) throws IOException {
            return files.size(key);
        }

        @Override
        public boolean exists(String key) throws IOException {
            return files.exists(key);
        }

        @Override
        public void read(String key, long offset, ByteBuffer dst) throws IOException {
            files.read(key, offset, dst);
        }

        @Override
        public CompletableFuture<Void> readAsync(String key, long offset, ByteBuffer dst) {
            return files.readAsync(key, offset, dst);
        }

        @Override
        public List<ObjectInfo> list(String prefix) throws IOException {
            return files.list(prefix);
        }

        @Override
        public void put(String key, byte[] bytes) throws IOException {
            files.put(key, bytes);
        }

        @Override
        public void delete(String key) throws IOException {
            files.delete(key);
        }

        @Override
        public void close() throws IOException {
            files.close();
        }
    }
}
