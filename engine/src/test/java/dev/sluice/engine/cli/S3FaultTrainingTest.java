package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import com.google.gson.JsonObject;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.store.FaultInjectingProxy;
import dev.sluice.data.store.FaultInjectingProxy.Fault;
import dev.sluice.data.store.RetryPolicy;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.testing.SyntheticDatasets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming through an unreliable S3: a {@link FaultInjectingProxy} between client and S3Mock
 * answers 503s, resets connections mid-body, truncates bodies, shortens ranges and stalls, on a
 * fixed schedule. The loader must deliver exactly the batches a fault-free run delivers, and a
 * training run must end with exactly the same loss and accuracy.
 */
class S3FaultTrainingTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    @TempDir
    static Path tmp;

    static FaultInjectingProxy proxy;
    static String direct;

    /**
     * Faults for consecutive shard GETs, spaced by clean requests. SHORT_RANGE and
     * CLOSE_DELIMITED_SHORT look like success to the HTTP client; only the store's byte count catches
     * them, so they always cost a store-level retry. The stall is shorter than the stall timeout:
     * a slow response, not a failed one.
     */
    static final Fault[] SCHEDULE = {
        Fault.SLOW_DOWN_503, Fault.NONE, Fault.RESET_MID_BODY, Fault.NONE, Fault.TRUNCATE_BODY,
        Fault.SHORT_RANGE, Fault.NONE, Fault.STALL, Fault.INTERNAL_500, Fault.NONE, Fault.CLOSE_DELIMITED_SHORT,
        Fault.SLOW_DOWN_503, Fault.SLOW_DOWN_503, Fault.NONE, Fault.RESET_MID_BODY, Fault.SHORT_RANGE,
    };

    static int scheduledFaults() {
        int n = 0;
        for (Fault f : SCHEDULE) {
            n += f == Fault.NONE ? 0 : 1;
        }
        return n;
    }

    @BeforeAll
    static void start() throws Exception {
        direct = S3TestSupport.endpoint(S3);
        proxy = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofMillis(300), Duration.ofMinutes(4));
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @AfterEach
    void clearFaults() {
        proxy.clearRules();
    }

    static StoreOptions options(String endpoint) {
        return S3TestSupport.options(endpoint).withPartBytes(1 << 20).withMaxConcurrency(8)
                .withRetry(new RetryPolicy(6, Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofSeconds(5)));
    }

    @Test
    void theLoaderSeesExactlyTheSameBatchesThroughFaults() throws Exception {
        String location = "s3://" + S3TestSupport.BUCKET + "/faults/synthetic";
        try (S3Store clean = S3Store.open(location, options(direct))) {
            SyntheticDatasets.write(clean, tmp.resolve("stage"), 1000, 8, 8, 3, false, 24_000);
        }
        // small parts: every shard is several ranged GETs, so faults hit parts of one shard too
        LoaderConfig cfg = LoaderConfig.training("train", 40, 21).withIo(2, 6_000, 4);
        List<List<List<Long>>> expected = new ArrayList<>();
        try (S3Store clean = S3Store.open(location, options(direct))) {
            Dataset ds = Dataset.open(clean);
            assertTrue(ds.manifest().split("train").shards().size() >= 8, "many shards");
            for (int epoch = 0; epoch < 2; epoch++) {
                expected.add(S3CliTest.batches(ds, cfg, null, epoch));
            }
            assertEquals(0, clean.stats().retries());
        }
        try (S3Store faulty = S3Store.open(location, options(proxy.endpoint().toString()))) {
            Dataset ds = Dataset.open(faulty);
            int before = proxy.injectedTotal();
            for (int rep = 0; rep < 2; rep++) {
                proxy.inject("GET", "/faults/synthetic/train/", SCHEDULE);
            }
            List<List<List<Long>>> got = new ArrayList<>();
            for (int epoch = 0; epoch < 2; epoch++) {
                got.add(S3CliTest.batches(ds, cfg, null, epoch));
            }
            assertEquals(expected, got, "every batch holds the same samples in the same order");
            assertEquals(2 * scheduledFaults(), proxy.injectedTotal() - before, "every scheduled fault was served");
            assertTrue(faulty.stats().retries() >= 2, "the store retried: " + faulty.stats());
            assertEquals(0, faulty.stats().failures(), "no operation failed for good");
            assertTrue(faulty.stats().shortReads() >= 2, "short bodies were caught: " + faulty.stats());
        }
    }

    @Test
    void trainingThroughFaultsEndsExactlyLikeAFaultFreeRun() throws Exception {
        IdxFiles.write(tmp.resolve("tr-img.gz"), tmp.resolve("tr-lab.gz"), 1500, 31);
        IdxFiles.write(tmp.resolve("te-img.gz"), tmp.resolve("te-lab.gz"), 300, 32);
        String data = "s3://" + S3TestSupport.BUCKET + "/faults/bands";
        String[] clean = {"--s3-endpoint", direct, "--anonymous", "--region", "us-east-1", "--part-size", "16KB"};
        for (String split : List.of("train", "test")) {
            String p = split.equals("train") ? "tr" : "te";
            CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"ingest", "--from",
                "idx:" + tmp.resolve(p + "-img.gz") + "," + tmp.resolve(p + "-lab.gz"), "--to", data, "--split", split,
                "--shard-size", "48KB"}, clean));
            assertEquals(0, r.code(), r.all());
        }
        S3CliTest.Run reference = train(data, "clean", clean);

        String[] faulty = clean.clone();
        faulty[1] = proxy.endpoint().toString();
        int before = proxy.injectedTotal();
        proxy.inject("GET", "/faults/bands/train/", SCHEDULE);
        proxy.inject("GET", "/faults/bands/test/", Fault.SLOW_DOWN_503, Fault.RESET_MID_BODY, Fault.SHORT_RANGE);
        proxy.inject("GET", "/faults/bands/manifest.json", Fault.INTERNAL_500, Fault.TRUNCATE_BODY);
        S3CliTest.Run run = train(data, "faulty", faulty);

        assertEquals(scheduledFaults() + 5, proxy.injectedTotal() - before, "every scheduled fault was served");
        assertTrue(reference.accuracy() >= 0.9, "learned: " + reference.accuracy());
        assertEquals(reference.accuracy(), run.accuracy(), "same final accuracy");
        assertEquals(reference.stepLosses(), run.stepLosses(), "same loss curve");
        assertEquals(reference.epochs(), run.epochs(), "same per-epoch loss and accuracy");
        long retries = run.loader().stream().mapToLong(o -> o.get("retries").getAsLong()).sum();
        assertTrue(retries >= 1, "the faults cost retries, and the loader event says so: " + run.loader());
        for (JsonObject o : reference.loader()) {
            assertEquals(0, o.get("retries").getAsLong(), o.toString());
        }
        assertTrue(run.out().lines().anyMatch(l -> l.matches("  io: .* [1-9][0-9]* retr(y|ies), .*")), run.out());
    }

    private static S3CliTest.Run train(String data, String name, String[] store) throws Exception {
        Path dir = tmp.resolve("run-" + name);
        CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"train", "--data", data, "--epochs", "2",
            "--batch-size", "25", "--lr", "0.003", "--seed", "3", "--run-dir", dir.toString(), "--json",
            "--progress", "never"}, store));
        assertEquals(0, r.code(), r.all());
        // with --json the io lines go to stderr, the JSON lines to stdout
        return S3CliTest.read(r.all(), dir);
    }
}
