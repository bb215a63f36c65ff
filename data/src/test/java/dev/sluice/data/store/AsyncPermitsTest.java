package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AsyncPermitsTest {

    @Test
    void grantsUpToTheLimitThenQueuesInArrivalOrder() {
        AsyncPermits p = new AsyncPermits(2);
        assertTrue(p.acquire().isDone());
        assertTrue(p.acquire().isDone());
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(p.acquire());
        }
        assertEquals(2, p.inUse());
        assertEquals(3, p.waiting());
        assertFalse(waiting.get(0).isDone());

        p.release(); // handed to the first waiter, not returned to the pool
        assertTrue(waiting.get(0).isDone());
        assertFalse(waiting.get(1).isDone());
        assertEquals(2, p.inUse());

        p.release();
        p.release();
        assertTrue(waiting.get(1).isDone() && waiting.get(2).isDone());
        assertEquals(0, p.waiting());
        p.release();
        p.release();
        assertEquals(0, p.inUse());
        assertThrows(IllegalStateException.class, p::release);
    }
}
