package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {

    @TempDir
    Path tmp;

    @Test
    void readsQueuedWhenTheStoreClosesStillComplete() throws Exception {
        FileStore store = new FileStore(tmp.resolve("s"), 1);
        byte[] data = new byte[1 << 14];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        store.put("obj", data);
        // one read thread opens the file for every read: issuing runs far ahead of reading
        ByteBuffer dst = ByteBuffer.allocate(data.length);
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (int i = 0; i < data.length; i += 4) {
            reads.add(store.readAsync("obj", i, dst.duplicate().position(i).limit(i + 4).slice()));
        }
        store.close();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (CompletableFuture<Void> r : reads) {
                r.get();
            }
        }, "a read queued before close never completed");
        assertArrayEquals(data, dst.array());
    }

    @Test
    void readAsyncAfterCloseFailsItsFutureNamingTheKey() throws Exception {
        FileStore store = new FileStore(tmp.resolve("s"), 1);
        store.put("dir/obj", new byte[10]);
        store.close();
        CompletableFuture<Void> f = store.readAsync("dir/obj", 0, ByteBuffer.allocate(10));
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        StoreException se = assertInstanceOf(StoreException.class, e.getCause());
        assertTrue(se.getMessage().contains("dir/obj") && se.getMessage().contains("closed"), se.getMessage());
    }
}
