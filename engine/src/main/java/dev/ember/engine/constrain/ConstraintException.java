package dev.ember.engine.constrain;

/** A constraint that cannot be compiled: the message names the construct and, where there is one, the way out. */
public final class ConstraintException extends IllegalArgumentException {
    public ConstraintException(String message) { super(message); }
}
