package dev.ember.engine.cli;

import dev.ember.engine.kernels.WorkerPool;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The machine's memory read bandwidth as the engine sees it: threads stream disjoint parts of a
 * 1 GiB off-heap buffer (far larger than any cache) with vector loads. Decode of a dense model
 * reads every weight once per token, so bandwidth ÷ bytes per token bounds its tokens/s.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Byte> BS = ByteVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    static double measure(int threads) {
        long size = 1L << 30;
        try (Arena arena = Arena.ofConfined(); WorkerPool pool = new WorkerPool(threads)) {
            MemorySegment seg = arena.allocate(size, 4096);
            seg.fill((byte) 1);
            MemorySegment shared = MemorySegment.ofAddress(seg.address()).reinterpret(size);
            long[] sink = new long[threads];
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                pool.parallelFor(threads, t -> {
                    long part = size / threads, from = t * part, to = from + part;
                    ByteVector acc = ByteVector.zero(BS);
                    for (long o = from; o < to; o += BS.length()) acc = acc.add(ByteVector.fromMemorySegment(BS, shared, o, ByteOrder.LITTLE_ENDIAN));
                    sink[t] += acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
                });
                double gbs = size / ((System.nanoTime() - t0) / 1e9) / 1e9;
                best = Math.max(best, gbs);
            }
            if (sink[0] == 42) System.out.print(""); // keep the loads alive
            return best;
        }
    }
}
