package dev.ember.engine.api;

import java.nio.file.Path;

/**
 * Opens engines; found with {@link java.util.ServiceLoader}, so this package does not depend on
 * the implementation (the in-process runtime registers one in {@code META-INF/services}).
 */
public interface EngineProvider {
    Engine open(Path model, EngineOptions options);
}
