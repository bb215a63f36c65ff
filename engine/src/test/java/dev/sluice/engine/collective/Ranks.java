package dev.sluice.engine.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs one body per rank, each on its own thread, as a trainer would. */
final class Ranks {

    interface Body {
        void run(Collective c) throws Exception;
    }

    private Ranks() {
    }

    /** Runs the body on every rank and returns what each threw (null where it returned normally). */
    static Throwable[] outcomes(List<? extends Collective> members, Body body) throws Exception {
        int n = members.size();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                Collective c = members.get(r);
                futures.add(pool.submit(() -> {
                    try {
                        body.run(c);
                    } catch (Throwable t) {
                        c.close(); // a failed rank leaves, so the others fail fast instead of waiting
                        throw t;
                    }
                    return null;
                }));
            }
            Throwable[] out = new Throwable[n];
            for (int r = 0; r < n; r++) {
                try {
                    futures.get(r).get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    out[r] = e.getCause();
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs the body on every rank and fails with the first rank's exception, if any. */
    static void run(List<? extends Collective> members, Body body) throws Exception {
        Throwable[] out = outcomes(members, body);
        for (int r = 0; r < out.length; r++) {
            if (out[r] != null) {
                AssertionError e = new AssertionError("rank " + r + " failed: " + out[r], out[r]);
                for (int k = r + 1; k < out.length; k++) {
                    if (out[k] != null) {
                        e.addSuppressed(out[k]);
                    }
                }
                throw e;
            }
        }
    }

    static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    static void closeAll(List<? extends Collective> members) {
        for (Collective c : members) {
            c.close();
        }
    }
}
