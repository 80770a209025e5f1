package dev.ember.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The table-driven split stages must split exactly like the regexes they stand in for. */
class SplitStagesTest {
    private static final int[] ALPHABET = " \t\n\r!?.,-~'\"()[]{}<>_aZxyz09\u00a0\u3000\u3001\u00b5\u03b1\u0416\u0663\u00bd\u0301\u4e2d\uac00\u3042\u2018\uff01\u1f00"
            .codePoints().toArray();
    private static final int[] ASTRAL = {0x1F999, 0x10400, 0x1D7CE, 0x1E900};

    private static String randomText(Random r, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.appendCodePoint(r.nextInt(10) == 0 ? ASTRAL[r.nextInt(ASTRAL.length)] : ALPHABET[r.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    private static int[] run(SplitStage stage, String text) {
        SplitText t = new SplitText(text.codePoints().toArray());
        IntList out = new IntList(8);
        if (t.length() > 0) stage.split(t, 0, t.length(), out);
        return out.toArray();
    }

    private static void assertSame(SplitStage fast, SplitStage regex) {
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            String text = randomText(r, r.nextInt(24));
            int[] expected = run(regex, text);
            assertArrayEquals(expected, run(fast, text), () -> PreTokenizerSplitsTest.escape(text) + " expected " + Arrays.toString(expected));
        }
    }

    @Test
    void classRunsMatchTheirRegexes() {
        assertSame(ClassRunSplit.each(ClassRunSplit.ranges("\\r\\n")), RegexSplit.wide("[\\r\\n]"));
        assertSame(ClassRunSplit.spaceAndRuns(ClassRunSplit.ranges(PreTokenizers.DEEPSEEK_LETTERS)),
                RegexSplit.wide("\\s?[" + PreTokenizers.DEEPSEEK_LETTERS + "]+"));
        assertSame(ClassRunSplit.spaceAndRuns(ClassRunSplit.ranges(PreTokenizers.DEEPSEEK_PUNCTUATION)),
                RegexSplit.wide("\\s?[" + PreTokenizers.DEEPSEEK_PUNCTUATION + "]+"));
        assertSame(ClassRunSplit.runs(ClassRunSplit.ranges(PreTokenizers.DEEPSEEK_CJK)), RegexSplit.wide("[" + PreTokenizers.DEEPSEEK_CJK + "]+"));
        assertSame(ClassRunSplit.runs(ClassRunSplit.category(UnicodeProps.NUMBER)), RegexSplit.collapsed("\\p{N}+"));
        assertSame(ClassRunSplit.each(ClassRunSplit.category(UnicodeProps.NUMBER)), RegexSplit.collapsed("\\p{N}"));
        assertSame(ClassRunSplit.spaceAndRuns(ClassRunSplit.category(UnicodeProps.LETTER)), RegexSplit.collapsed("\\s?\\p{L}+"));
        assertSame(ClassRunSplit.spaceAndRuns(ClassRunSplit.category(UnicodeProps.PUNCTUATION)), RegexSplit.collapsed("\\s?\\p{P}+"));
    }

    @Test
    void collapsedClassesFollowLlamaCpp() {
        // llama.cpp's ASCII symbol set has no '~', and \p{Lu} means any letter in collapsed matching
        assertEquals("[\\x{d5}\\$\\+<->\\^`\\|]", RegexSplit.collapseClasses("\\p{S}"));
        assertEquals(RegexSplit.collapseClasses("\\p{L}"), RegexSplit.collapseClasses("\\p{Lu}"));
        assertArrayEquals(new int[] {1, 1, 1}, run(RegexSplit.collapsed("\\p{S}"), "~+~"));
    }
}
