package dev.ember.engine.constrain;

import dev.ember.engine.api.Constraint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Requests with the same constraint share one compiled automaton and its masks; the cache is bounded. */
class ConstraintCacheTest {
    @Test
    void sameConstraintCompilesOnceAndSharesMasks() {
        AtomicInteger vocabBuilds = new AtomicInteger();
        ConstraintCache cache = new ConstraintCache(() -> {
            vocabBuilds.incrementAndGet();
            return TokenMaskTest.vocab();
        }, 2);
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}},\"required\":[\"a\"]}";
        CompiledConstraint first = cache.get(new Constraint.JsonSchema(schema), true);
        ConstraintCursor c = cache.start(new Constraint.JsonSchema(schema), true);
        assertSame(first, c.compiled(), "an equal constraint is found, not recompiled");
        c.allowedTokens();
        assertEquals(1, first.cachedMasks(), "the mask one request computed is there for the next");
        cache.start(new Constraint.JsonSchema(schema), true).allowedTokens();
        assertEquals(1, first.cachedMasks());
        assertNotSame(first, cache.get(new Constraint.JsonSchema(schema), false), "EOS allowed or not are different masks");
        cache.get(new Constraint.Choice(List.of("x")), true);        // capacity 2: the least recently used goes
        assertNotSame(first, cache.get(new Constraint.JsonSchema(schema), true));
        assertEquals(1, vocabBuilds.get(), "the vocabulary index is built once");
    }
}
