package dev.ember.engine.model;

/** Per-thread scratch buffers that grow on demand, so hot loops allocate nothing per call. */
final class Scratch {
    private static final ThreadLocal<float[]> FLOATS = ThreadLocal.withInitial(() -> new float[4096]);

    private Scratch() {}

    /** A buffer of at least {@code n} floats, owned by the calling thread; contents are undefined. */
    static float[] floats(int n) {
        float[] a = FLOATS.get();
        if (a.length < n) {
            a = new float[Math.max(n, a.length * 2)];
            FLOATS.set(a);
        }
        return a;
    }
}
