package dev.ember.engine.api;

import java.nio.file.Path;

/**
 * Opens engines; found with {@link java.util.ServiceLoader}, so this package does not depend on
 * the implementation (the in-process runtime registers one in {@code META-INF/services}).
 */
public interface EngineProvider {
    Engine open(Path model, EngineOptions options);

    /**
     * Opens {@code model} as {@link #open} would (header, metadata, architecture, tensor table,
     * tokenizer) without reading its weights or starting an engine, and closes it again; a model
     * that {@link #open} would refuse fails here with the same exception. The default opens a
     * one-thread engine.
     */
    default void validate(Path model) {
        open(model, EngineOptions.defaults().withThreads(1)).close();
    }
}
