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
     * waits for them (unless the wait is interrupted), then closes every member. A rank that fails, an
     * {@link Error} such as running out of direct memory included, closes its member at once: the
     * in-process and TCP groups then fail its peers at once; NCCL peers fail at their operation timeout
     * instead of waiting for ever.
     *
     * @param what what is measured, for the message when the wait is interrupted
     * @throws CollectiveException the first failure, if it is one (a rank's, or {@code INTERRUPTED})
     * @throws RuntimeException the first failure, if it is one (a rank's, or a member's close)
     * @throws Error the first failure, if it is one
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
                    } catch (Throwable e) {
                        // an Error too: a rank that dies without closing its member leaves its peers waiting
                        failure.compareAndSet(null, e);
                        try {
                            member.close();
                        } catch (RuntimeException c) {
                            e.addSuppressed(c);
                        }
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
        if (f instanceof Error er) {
            throw er;
        }
    }
}
