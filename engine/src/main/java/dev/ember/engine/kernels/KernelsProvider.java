package dev.ember.engine.kernels;

/** Chooses the kernel implementation once per JVM. */
final class KernelsProvider {
    static final Kernels INSTANCE = null; // replaced by the kernels work

    private KernelsProvider() {}
}
