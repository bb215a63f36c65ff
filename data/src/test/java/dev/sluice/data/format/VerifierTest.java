package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierTest {

    @TempDir
    Path tmp;

    @Test
    void reportsEveryShardAndWhatIsWrongWithTheBadOnes() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Manifest m = SyntheticDatasets.write(store, tmp, 200, 4, 4, 1, true, 2_000);
            List<ShardInfo> shards = m.split("train").shards();
            assertTrue(shards.size() >= 3);
            Path damaged = store.root().resolve(shards.get(1).key());
            byte[] all = Files.readAllBytes(damaged);
            all[all.length - 2] ^= 0x10;
            Files.write(damaged, all);
            String failing = shards.get(2).key();
            // a store whose read fails with an exception that carries no message
            ObjectStore flaky = (ObjectStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
                        if (method.getName().equals("read") && failing.equals(args[0])) {
                            throw new IllegalStateException();
                        }
                        try {
                            return method.invoke(store, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            List<Verifier.ShardCheck> seen = new ArrayList<>();
            List<Verifier.ShardCheck> checks = new Verifier(Dataset.of(flaky, m)).verify(seen::add);
            assertEquals(checks, seen);
            assertEquals(shards.size(), checks.size());
            assertTrue(checks.get(0).ok(), String.valueOf(checks.get(0).problem()));
            assertFalse(checks.get(1).ok());
            assertTrue(checks.get(1).problem().contains("CRC32C"), checks.get(1).problem());
            assertFalse(checks.get(2).ok(), "a read that failed without a message is still a failure");
            assertTrue(checks.get(2).problem().contains("IllegalStateException"), checks.get(2).problem());
            for (int i = 3; i < checks.size(); i++) {
                assertTrue(checks.get(i).ok(), checks.get(i).problem());
            }
        }
    }
}
