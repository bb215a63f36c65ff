package dev.sluice.engine.bench;

import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.CollectiveException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** The ranks of an all-reduce benchmark, one thread each (CPU and NCCL benchmarks alike). */
final class RankThreads {

    /** What a rank runs with its member of the group. */
    interface Rank<T extends Collective> {
        void run(T member) throws CollectiveException;
    }

    private RankThreads() {
    }

    /**
     * Runs {@code rank} for every member on a thread of its own, named {@code name} and the index,
     * waits for all of them, then closes every member. A rank that fails closes its member at once, so
     * that its peers fail instead of waiting for the collective's timeout.
     *
     * @param what what is measured, for the message when the wait is interrupted
     * @throws CollectiveException the first failure: a rank's, {@code INTERRUPTED}, or a member's close
     */
    static <T extends Collective> void run(List<T> members, String name, String what, Rank<T> rank)
            throws CollectiveException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < members.size(); i++) {
                T member = members.get(i);
                Thread t = new Thread(() -> {
                    try {
                        rank.run(member);
                    } catch (CollectiveException | RuntimeException e) {
                        failure.compareAndSet(null, e);
                        member.close();
                    }
                }, name + i);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new CollectiveException(CollectiveException.Reason.INTERRUPTED, -1, -1,
                    "interrupted while benchmarking " + what, e));
        } finally {
            for (T member : members) {
                try {
                    member.close();
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }
        }
        Throwable f = failure.get();
        if (f instanceof CollectiveException ce) {
            throw ce;
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
    }
}
