package dev.sluice.data.loader;

/** Thread helpers for the loader's background threads. */
final class Threads {

    private Threads() {}

    /**
     * Waits until {@code t} has ended, even if the caller is interrupted meanwhile (the interrupt is
     * kept for the caller). Closing must not return while a background thread may still touch
     * slabs or batch buffers that the caller is about to free.
     */
    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
