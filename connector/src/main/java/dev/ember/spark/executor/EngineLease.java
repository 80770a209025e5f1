package dev.ember.spark.executor;

import java.util.concurrent.atomic.AtomicBoolean;

import dev.ember.engine.api.Engine;

/** A task's hold on a shared engine. Closing it returns the hold; the engine stays shared. */
public final class EngineLease implements AutoCloseable {
  private final ExecutorEngines.Slot slot;
  private final Engine engine;
  private final AtomicBoolean released = new AtomicBoolean();

  EngineLease(ExecutorEngines.Slot slot, Engine engine) {
    this.slot = slot;
    this.engine = engine;
  }

  public Engine engine() {
    if (released.get()) {
      throw new IllegalStateException("engine lease already released");
    }
    return engine;
  }

  @Override
  public void close() {
    if (released.compareAndSet(false, true)) {
      ExecutorEngines.release(slot);
    }
  }
}
