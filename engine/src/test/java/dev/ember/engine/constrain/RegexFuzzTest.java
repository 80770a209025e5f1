package dev.ember.engine.constrain;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.api.Constraint;
import dev.ember.engine.testing.Fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the regex compiler (and, with a leading NUL byte, the GBNF grammar compiler): pattern
 * in, a byte automaton or a ConstraintException out (see {@link Fuzz}). For a regex that compiles,
 * sampled outputs must be valid UTF-8 that java.util.regex matches as a whole: the regex
 * constraint promises "text the java.util.regex pattern matches".
 */
class RegexFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void compile(byte[] data) {
        boolean grammar = data.length > 0 && data[0] == 0;
        String src = grammar ? new String(data, 1, data.length - 1, StandardCharsets.UTF_8) : new String(data, StandardCharsets.UTF_8);
        Constraint c;
        try {
            c = grammar ? new Constraint.Grammar(src) : new Constraint.Regex(src);
        } catch (IllegalArgumentException e) {
            return; // the record's own argument check (empty grammar)
        }
        ByteDfa dfa;
        try {
            dfa = ByteDfa.of(CompiledConstraint.toRx(c));
        } catch (ConstraintException e) {
            Fuzz.expectUserError(e, ConstraintException.class);
            return;
        }
        if (grammar) return;
        Pattern p;
        try {
            p = Pattern.compile(src);
        } catch (PatternSyntaxException e) {
            throw new AssertionError("/" + src + "/ compiled to a constraint but java.util.regex rejects it: " + e.getDescription());
        }
        Random rnd = new Random(Arrays.hashCode(data));
        for (int k = 0; k < 4; k++) {
            String text = JsonSchemaFuzzTest.utf8(DfaSamples.sample(dfa, rnd, 32), "/" + src + "/");
            assertTrue(p.matcher(text).matches(), () -> "/" + src + "/ allowed " + text + ", which java.util.regex does not match");
        }
    }
}
