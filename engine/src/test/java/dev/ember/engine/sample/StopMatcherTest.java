package dev.ember.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StopMatcherTest {

    /** Feeds pieces until a match; returns the emitted text, flushed if nothing matched. */
    private static String run(List<String> stops, String... pieces) {
        StopMatcher m = new StopMatcher(stops);
        StringBuilder out = new StringBuilder();
        for (String p : pieces) if (m.feed(p, out)) return out.toString();
        m.flush(out);
        return out.toString();
    }

    @Test
    void stopStringSpanningSeveralPieces() {
        StopMatcher m = new StopMatcher(List.of("END"));
        StringBuilder out = new StringBuilder();
        assertFalse(m.feed("hello E", out));
        assertEquals("hello ", out.toString());     // "E" held: it may start "END"
        assertFalse(m.feed("N", out));
        assertEquals("hello ", out.toString());
        assertTrue(m.feed("D and more", out));
        assertEquals("hello ", out.toString());
        assertTrue(m.matched());
        assertThrows(IllegalStateException.class, () -> m.feed("x", out));
    }

    @Test
    void heldTextIsReleasedWhenItTurnsOutNotToMatch() {
        StopMatcher m = new StopMatcher(List.of("END"));
        StringBuilder out = new StringBuilder();
        m.feed("aE", out);
        assertEquals("a", out.toString());
        m.feed("Nx", out);
        assertEquals("aENx", out.toString());
        assertEquals(0, m.held());
    }

    @Test
    void overlappingPrefixes() {
        assertEquals("a", run(List.of("aab"), "a", "a", "a", "b"));
        assertEquals("x", run(List.of("abab"), "xab", "ab", "ab"));
        assertEquals("ab", run(List.of("abac"), "ab", "ab", "ac"));      // the first "ab" start fails, the second matches
        assertEquals("aaa", run(List.of("aab"), "a", "a", "a"));   // never matched: everything flushed at the end
    }

    @Test
    void stopAtTheVeryStart() {
        assertEquals("", run(List.of("###"), "###rest"));
        assertEquals("", run(List.of("###"), "#", "#", "#"));
        assertEquals("", run(List.of("x"), "x"));
    }

    @Test
    void earliestCompletedMatchWinsWhateverThePieces() {
        List<String> stops = List.of("abcd", "bc");
        assertEquals("xa", run(stops, "xabcd"));
        assertEquals("xa", run(stops, "xab", "c", "d"));
        assertEquals("x", run(List.of("bc", "abc"), "xabc"));    // same end: the longer, earlier-starting match
    }

    @Test
    void holdsBackTheLongestPossibleStart() {
        StopMatcher m = new StopMatcher(List.of("<|end|>", "\n\n"));
        StringBuilder out = new StringBuilder();
        m.feed("one\n", out);
        assertEquals("one", out.toString());
        m.feed("two<|en", out);
        assertEquals("one\ntwo", out.toString());
        assertEquals(4, m.held());
        assertTrue(m.feed("d|>", out));
        assertEquals("one\ntwo", out.toString());
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        StopMatcher m = new StopMatcher(List.of());
        StringBuilder out = new StringBuilder();
        assertFalse(m.feed("abc", out));
        assertEquals("abc", out.toString());
        assertEquals(0, m.held());
    }
}
