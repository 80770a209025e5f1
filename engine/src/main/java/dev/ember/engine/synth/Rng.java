package dev.ember.engine.synth;

/**
 * SplitMix64 with a ziggurat normal sampler: fast, seedable at any point, and fully specified
 * here, so a synthetic model's bytes depend only on its seed (not on the JDK's generators, whose
 * algorithms may change between releases).
 *
 * <p>Each tensor row gets its own generator, seeded by hashing (tensor seed, row). That makes the
 * output independent of how rows are split across threads, and hashing (rather than stepping the
 * state by the row number) keeps neighbouring rows from being shifted copies of one stream.
 */
final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    Rng(long seed) { this.state = seed; }

    /** Restarts the generator at a seed. */
    void reseed(long seed) { this.state = seed; }

    /** The SplitMix64 finalizer: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The seed of row {@code row} of a tensor seeded with {@code tensorSeed}. */
    static long rowSeed(long tensorSeed, long row) {
        return mix(tensorSeed ^ mix(row + GOLDEN));
    }

    long nextLong() {
        return mix(state += GOLDEN);
    }

    /** Uniform in the open interval (0, 1). */
    double nextOpenDouble() {
        return ((nextLong() >>> 11) + 0.5) * 0x1.0p-53;
    }

    // Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating Random Variables",
    // 2000) with 128 layers. The layer index and the 32-bit value come from different bits of one
    // 64-bit draw, which avoids the index/value correlation of the original (Doornik, 2005).
    private static final double R = 3.442619855899;
    private static final long[] KN = new long[128];
    private static final double[] WN = new double[128];
    private static final double[] FN = new double[128];

    static {
        double m1 = 2147483648.0;
        double vn = 9.91256303526217e-3;
        double dn = R;
        double tn = dn;
        double q = vn / Math.exp(-0.5 * dn * dn);
        KN[0] = (long) ((dn / q) * m1);
        KN[1] = 0;
        WN[0] = q / m1;
        WN[127] = dn / m1;
        FN[0] = 1.0;
        FN[127] = Math.exp(-0.5 * dn * dn);
        for (int i = 126; i >= 1; i--) {
            dn = Math.sqrt(-2.0 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
            KN[i + 1] = (long) ((dn / tn) * m1);
            tn = dn;
            FN[i] = Math.exp(-0.5 * dn * dn);
            WN[i] = dn / m1;
        }
    }

    /** A standard normal deviate. */
    double nextGaussian() {
        long u = nextLong();
        int iz = (int) (u & 127);
        int hz = (int) (u >> 32);
        if (Math.abs((long) hz) < KN[iz]) return hz * WN[iz];
        return slowGaussian(hz, iz);
    }

    /** The rare (about 1 in 80) draws outside a layer's rectangle core, and the tail. */
    private double slowGaussian(int hz, int iz) {
        for (;;) {
            double x = hz * WN[iz];
            if (iz == 0) {
                double y;
                do {
                    x = -Math.log(nextOpenDouble()) / R;
                    y = -Math.log(nextOpenDouble());
                } while (y + y < x * x);
                return hz > 0 ? R + x : -R - x;
            }
            if (FN[iz] + nextOpenDouble() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
            long u = nextLong();
            iz = (int) (u & 127);
            hz = (int) (u >> 32);
            if (Math.abs((long) hz) < KN[iz]) return hz * WN[iz];
        }
    }
}
