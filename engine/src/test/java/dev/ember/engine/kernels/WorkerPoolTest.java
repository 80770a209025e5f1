package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** Every index of every region runs exactly once, including many back-to-back tiny regions. */
    @Test
    void eachIndexRunsOnce() {
        try (WorkerPool pool = new WorkerPool(4)) {
            for (int region = 0; region < 20_000; region++) {
                int count = 1 + region % 13;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                pool.parallelFor(count, hits::incrementAndGet);
                for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "region " + region + " index " + i);
            }
        }
    }

    @Test
    void failuresPropagate() {
        try (WorkerPool pool = new WorkerPool(3)) {
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, i -> {
                if (i == 7) throw new IllegalStateException("boom");
            }));
            int[] sum = new int[1];
            pool.parallelFor(1, i -> sum[0]++); // still usable
            assertEquals(1, sum[0]);
        }
    }
}
