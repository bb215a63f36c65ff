package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.checkpoint.Checkpoint;
import dev.sluice.engine.checkpoint.Checkpoints;
import dev.sluice.engine.cli.Main;
import dev.sluice.engine.device.ComputeDevice;
import dev.sluice.engine.device.Devices;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.optim.AdamW;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Worker on the CPU, driven directly so a test can ask it to stop at a chosen step: what the
 * epoch summaries say about an epoch cut short by a stop request and about an epoch resumed with
 * nothing left in it.
 */
class WorkerEpochTest {

    @TempDir
    static Path tmp;

    static Path data;

    /** 400 training samples, batch 100: 4 steps per epoch. */
    static final int SAMPLES = 400;
    static final int BATCH = 100;

    @BeforeAll
    static void ingest() throws Exception {
        data = tmp.resolve("ds");
        for (String split : List.of("train", "test")) {
            Path images = tmp.resolve(split + "-img.gz");
            Path labels = tmp.resolve(split + "-lab.gz");
            TinyIdx.write(images, labels, split.equals("train") ? SAMPLES : 200, split.hashCode());
            StringWriter out = new StringWriter();
            int code = Main.run(new String[] {"ingest", "--from", "idx:" + images + "," + labels, "--to",
                data.toString(), "--split", split}, new PrintWriter(out, true), new PrintWriter(out, true));
            assertEquals(0, code, out.toString());
        }
    }

    /** Runs one worker to its end; {@code onLine} sees every console line (quarter-epoch progress included). */
    static List<EpochSummary> run(Path runDir, Checkpoint resumeFrom, StopSignal stop, Consumer<String> onLine,
                                  List<EpochSummary> reported) throws Exception {
        TrainConfig cfg = TrainingRun.builder().data(data.toString()).epochs(2).batchSize(BATCH).evalSplit("test")
                .runDir(runDir).build().config();
        PrintStream console = new PrintStream(OutputStream.nullOutputStream()) {
            @Override
            public void println(String s) {
                onLine.accept(s);
            }
        };
        try (ObjectStore store = Stores.open(data.toString(), cfg.data().store());
             ObjectStore ckpts = Stores.open(cfg.checkpointLocation(), cfg.data().store());
             MetricsLog metrics = new MetricsLog(runDir.resolve("metrics.jsonl"))) {
            Dataset ds = Dataset.open(store);
            FeedSpec feed = FeedSpec.from(ds.manifest());
            Map<String, String> key = cfg.resumeKey(Trainer.datasetIdentity(ds, cfg.data().trainSplit()));
            Worker.Context ctx = new Worker.Context(cfg, ds, feed, 1, metrics, new Checkpoints(ckpts, 5), key,
                    resumeFrom, stop, null);
            Console out = new Console(console, false, false);
            TrainingListener reports = new TrainingListener() {
                @Override
                public void onEpochEnd(EpochSummary summary) {
                    reported.add(summary);
                }
            };
            List<TrainingListener> listeners = List.of(new ProgressListener(out, cfg.job().epochs(), BATCH, "test", 0),
                    reports);
            ComputeDevice cpu = Devices.standard().open("cpu").get(0);
            Engine.getInstance().setRandomSeed(1);
            try (Replica replica = new Replica(0, cpu.djlDevice(), ModelRegistry.builtIn().create("mlp",
                    InputSpec.image(feed.imageField(), feed.channels(), feed.height(), feed.width()),
                    feed.numClasses()))) {
                Worker w = new Worker(ctx, replica, cpu, GradientSync.none(), AdamW.withWeightDecay(0f), out,
                        listeners);
                return w.run();
            } finally {
                cpu.close();
            }
        }
    }

    @Test
    void anEpochCutShortByAStopCarriesNoEvaluation() throws Exception {
        StopSignal stop = StopSignal.manual();
        List<EpochSummary> reported = new ArrayList<>();
        // epoch 1 ends normally (evaluated); the stop is asked for during the first step of epoch 2
        List<EpochSummary> all = run(tmp.resolve("stop-in-2"), null, stop, line -> {
            if (line.startsWith("epoch 2/2") && line.contains("step 1/")) {
                stop.request();
            }
        }, reported);
        assertEquals(1, reported.size(), "only the whole epoch is reported");
        assertEquals(2, all.size());
        assertTrue(Double.isFinite(all.get(0).evalAccuracy()), all.get(0).toString());
        assertEquals(2, all.get(1).epoch());
        assertTrue(Double.isNaN(all.get(1).evalAccuracy()) && Double.isNaN(all.get(1).evalLoss()),
                "epoch 2 was not evaluated; it must not show epoch 1's evaluation: " + all.get(1));
    }

    @Test
    void anEpochResumedWithNothingLeftReportsNoTrainingLoss() throws Exception {
        Path run = tmp.resolve("stop-at-last-step");
        StopSignal stop = StopSignal.manual();
        // asked for during step 3 of 4, seen at step 4: the checkpoint is taken after the epoch's last batch
        run(run, null, stop, line -> {
            if (line.startsWith("epoch 1/2") && line.contains("step 3/4")) {
                stop.request();
            }
        }, new ArrayList<>());
        Checkpoint cp;
        try (ObjectStore ckpts = Stores.open(run.resolve("checkpoints").toString(),
                dev.sluice.data.store.StoreOptions.defaults())) {
            cp = new Checkpoints(ckpts, 5).latestValid(m -> { }).orElseThrow();
        }
        assertEquals(4, cp.step());
        assertEquals(0, cp.epoch(), "taken inside epoch 1, after its last batch");

        List<EpochSummary> reported = new ArrayList<>();
        List<EpochSummary> resumed = run(run, cp, StopSignal.manual(), line -> { }, reported);
        assertEquals(2, resumed.size());
        EpochSummary first = resumed.get(0);
        assertEquals(1, first.epoch());
        assertEquals(0, first.steps());
        assertTrue(Double.isNaN(first.trainLoss()) && Double.isNaN(first.trainAccuracy()),
                "no step was taken in this epoch: its training loss and accuracy are unknown, not 0: " + first);
        assertTrue(Double.isFinite(first.evalAccuracy()), "the epoch's evaluation still runs: " + first);
        assertTrue(Double.isFinite(resumed.get(1).trainLoss()) && resumed.get(1).trainLoss() > 0,
                resumed.get(1).toString());
    }
}
