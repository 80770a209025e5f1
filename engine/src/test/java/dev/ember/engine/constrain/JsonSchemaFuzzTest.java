package dev.ember.engine.constrain;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.api.Constraint;
import dev.ember.engine.testing.Fuzz;
import dev.ember.engine.util.Json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Fuzzes the JSON-schema compiler: schema text in, a byte automaton or a ConstraintException
 * out (see {@link Fuzz}). For a schema that compiles, outputs the automaton accepts (sampled)
 * must be valid UTF-8 and valid JSON: the constraint promises parseable output.
 */
class JsonSchemaFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void compile(byte[] data) {
        String schema = new String(data, StandardCharsets.UTF_8);
        if (schema.isBlank()) return;
        ByteDfa dfa;
        try {
            dfa = ByteDfa.of(CompiledConstraint.toRx(new Constraint.JsonSchema(schema)));
        } catch (ConstraintException e) {
            Fuzz.expectUserError(e, ConstraintException.class);
            return;
        }
        Random rnd = new Random(Arrays.hashCode(data));
        DfaSamples samples = new DfaSamples(dfa);
        for (int k = 0; k < 4; k++) {
            byte[] out = samples.sample(rnd, 64);
            String text = utf8(out, schema);
            try {
                Json.parse(text);
            } catch (IllegalArgumentException e) {
                throw new AssertionError("schema " + schema + " allowed invalid JSON " + text + ": " + e.getMessage());
            }
        }
    }

    static String utf8(byte[] out, String constraint) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError(constraint + " allowed invalid UTF-8 " + Arrays.toString(out));
        }
    }
}
