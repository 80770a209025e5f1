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
        DfaSamples samples = new DfaSamples(dfa);
        for (int k = 0; k < 4; k++) {
            String text = JsonSchemaFuzzTest.utf8(samples.sample(rnd, 32), "/" + src + "/");
            Boolean matches = matchesWithin(p, text, READ_BUDGET);
            if (matches == null) continue; // the reference backtracked past its budget: no verdict on this sample
            assertTrue(matches, () -> "/" + src + "/ allowed " + text + ", which java.util.regex does not match");
        }
    }

    /**
     * Character reads java.util.regex may make per sample: a few milliseconds. 5,000,000 was too
     * many: the reads go through this class's {@code charAt}, which Jazzer instruments, and four
     * samples of {@code .*X.*X.*XX{286}…} then passed the 1 s per input (705,170 executions in).
     */
    static final int READ_BUDGET = 1_000_000;

    /**
     * Whether {@code p} matches {@code text}, or null when matching needs more than {@code budget}
     * character reads. java.util.regex backtracks: {@code .*X.*X{545}z} took about 0.1 s per
     * sample (0.47 s per input for the four), so the oracle, not the constraint compiler, passed
     * the fuzz target's 1 s per input. The time the reference needs is not Ember's to bound.
     */
    static Boolean matchesWithin(Pattern p, String text, long budget) {
        final class Budgeted implements CharSequence {
            long reads;

            @Override public int length() { return text.length(); }
            @Override public char charAt(int index) {
                if (++reads > budget) throw new OverBudget();
                return text.charAt(index);
            }
            @Override public CharSequence subSequence(int start, int end) { return text.subSequence(start, end); }
            @Override public String toString() { return text; }
        }
        try {
            return p.matcher(new Budgeted()).matches();
        } catch (OverBudget e) {
            return null;
        }
    }

    private static final class OverBudget extends RuntimeException {
        OverBudget() {
            super(null, null, false, false);
        }
    }
}
