package dev.ember.engine.constrain;

import dev.ember.engine.api.Constraint;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Masks from the trie walk equal a brute-force check of every token in every state. */
class TokenMaskTest {
    static final int EOS = 0;

    /** Tokens of one, several and partial UTF-8 characters, and duplicates with the same bytes. */
    static TokenVocabulary vocab() {
        List<byte[]> t = new ArrayList<>();
        t.add(new byte[0]);                                  // 0: EOS (control, no bytes)
        for (int b = 0; b < 256; b++) t.add(new byte[]{(byte) b});   // every byte, as byte-level BPE has
        for (String s : new String[]{"{\"", "\":", "\",\"", "name", "na", "me", "日本", "本語", "é", "\"}", "}", "12", "3.5", " ", "true", "fals", "e}"}) {
            t.add(s.getBytes(StandardCharsets.UTF_8));
        }
        byte[] ja = "日".getBytes(StandardCharsets.UTF_8);
        t.add(new byte[]{ja[0], ja[1]});                     // the first two bytes of 日: a partial character
        t.add(new byte[]{ja[2], '"'});                       // its last byte and a quote
        t.add("name".getBytes(StandardCharsets.UTF_8));      // a duplicate text
        return TokenVocabulary.ofBytes(t.toArray(byte[][]::new), EOS);
    }

    @Test
    void trieMasksEqualBruteForceInEveryState() {
        TokenVocabulary v = vocab();
        for (Constraint c : List.of(
                new Constraint.Regex("[日本語é]{1,4}"),
                new Constraint.JsonSchema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":5},"
                        + "\"n\":{\"type\":\"number\",\"minimum\":0,\"maximum\":20},\"ok\":{\"type\":\"boolean\"}},\"required\":[\"name\"]}"),
                new Constraint.Choice(List.of("true", "false", "日本語")),
                new Constraint.Grammar("root ::= \"{\" pair (\",\" pair)* \"}\"\npair ::= [a-z]+ \":\" [0-9]+"))) {
            CompiledConstraint cc = CompiledConstraint.compile(c, v, true);
            ByteDfa d = cc.dfa();
            for (int s = 0; s < d.size(); s++) {
                long[] mask = cc.mask(s);
                for (int id = 0; id < v.size(); id++) {
                    boolean expect = id == EOS ? d.accepting[s] : v.bytes(id).length > 0 && d.walk(s, v.bytes(id)) != ByteDfa.DEAD;
                    assertEquals(expect, (mask[id >>> 6] >>> id & 1) != 0, c + " state " + s + " token " + id);
                }
            }
            assertEquals(d.size(), cc.cachedMasks());
            assertEquals(cc.distinctMasks() * (long) cc.words() * 8, cc.cacheBytes());
            assertTrue(cc.distinctMasks() <= d.size());
            assertTrue(cc.mask(0) == cc.mask(0), "cached, not recomputed");
        }
    }

    @Test
    void partialUtf8TokensCarryTheAutomatonAcrossCharacterBoundaries() {
        TokenVocabulary v = vocab();
        CompiledConstraint cc = CompiledConstraint.compile(new Constraint.JsonSchema("{\"const\":\"日\"}"), v, true);
        ConstraintCursor c = cc.start();
        int quote = 1 + '"', partial = v.size() - 3, rest = v.size() - 2;
        assertFalse(allowed(c, EOS));
        c.advance(quote);
        assertTrue(allowed(c, partial), "a token ending inside 日 is allowed");
        c.advance(partial);
        assertFalse(c.accepting());
        assertTrue(allowed(c, rest), "the token finishing 日 and closing the string");
        c.advance(rest);
        assertTrue(c.accepting());
        assertTrue(c.complete());
        assertTrue(allowed(c, EOS));
    }

    @Test
    void endOfGenerationOnlyInAcceptingStatesAndNeverWhenIgnored() {
        TokenVocabulary v = vocab();
        CompiledConstraint cc = CompiledConstraint.compile(new Constraint.Regex("a+"), v, true);
        ConstraintCursor c = cc.start();
        assertFalse(allowed(c, EOS));
        c.advance(1 + 'a');
        assertTrue(allowed(c, EOS));
        assertFalse(c.complete());
        ConstraintCursor ignoring = CompiledConstraint.compile(new Constraint.Regex("a+"), v, false).start();
        ignoring.advance(1 + 'a');
        assertFalse(allowed(ignoring, EOS));
    }

    private static boolean allowed(ConstraintCursor c, int id) {
        return (c.allowedTokens()[id >>> 6] >>> id & 1) != 0;
    }
}
