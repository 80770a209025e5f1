package dev.ember.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * A split stage for the simplest pattern shapes, {@code [C]}, {@code [C]+} and {@code \s?[C]+},
 * without the regex engine. DeepSeek's splits are a chain of these with classes of a hundred-odd
 * ranges, which java.util.regex tests range by range for every non-member; a lookup table makes
 * those stages an order of magnitude cheaper. Matching semantics are the regex's (leftmost match;
 * the optional whitespace is taken only if a class member follows it), and like a wide-mode
 * {@link RegexSplit} a non-ASCII whitespace code point is seen as \x0B.
 */
final class ClassRunSplit implements SplitStage {
    private final IntPredicate member;
    private final boolean leadingSpace;
    private final boolean single;

    private ClassRunSplit(IntPredicate member, boolean leadingSpace, boolean single) {
        this.member = member;
        this.leadingSpace = leadingSpace;
        this.single = single;
    }

    /** {@code [C]}: every member code point is a piece of its own. */
    static ClassRunSplit each(IntPredicate member) { return new ClassRunSplit(member, false, true); }

    /** {@code [C]+}: every run of members is a piece. */
    static ClassRunSplit runs(IntPredicate member) { return new ClassRunSplit(member, false, false); }

    /** {@code \s?[C]+}: every run of members, with the whitespace just before it. */
    static ClassRunSplit spaceAndRuns(IntPredicate member) { return new ClassRunSplit(member, true, false); }

    @Override
    public void split(SplitText text, int start, int end, IntList out) {
        int[] cps = text.cps;
        int[] flags = text.flags;
        int prev = start;
        int pos = start;
        while (pos < end) {
            int matchStart;
            int runStart;
            if (leadingSpace && (flags[pos] & UnicodeProps.WHITESPACE) != 0 && pos + 1 < end && isMember(cps[pos + 1], flags[pos + 1])) {
                matchStart = pos;
                runStart = pos + 1;
            } else if (isMember(cps[pos], flags[pos])) {
                matchStart = pos;
                runStart = pos;
            } else {
                pos++;
                continue;
            }
            int matchEnd = runStart + 1;
            if (!single) {
                while (matchEnd < end && isMember(cps[matchEnd], flags[matchEnd])) matchEnd++;
            }
            if (matchStart > prev) out.add(matchStart - prev);
            out.add(matchEnd - matchStart);
            prev = pos = matchEnd;
        }
        if (end > prev) out.add(end - prev);
    }

    private boolean isMember(int cp, int flags) {
        return member.test(cp >= 0x80 && (flags & UnicodeProps.WHITESPACE) != 0 ? SplitText.WHITESPACE_STAND_IN : cp);
    }

    /** Code points with any of the given {@link UnicodeProps} category flags. */
    static IntPredicate category(int categoryFlags) {
        return cp -> (UnicodeProps.flags(cp) & categoryFlags) != 0;
    }

    /**
     * A set of code point ranges written like a regex class body: literal characters, {@code \x{HEX}}
     * escapes and {@code a-b} ranges, e.g. {@code "A-Za-z\x{B5}\x{C0}-\x{D6}"}. BMP membership is a
     * table lookup; the few supplementary ranges are searched.
     */
    static IntPredicate ranges(String spec) {
        List<int[]> ranges = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < spec.length()) {
            int lo = next(spec, pos);
            int hi = lo;
            if (pos[0] + 1 < spec.length() && spec.charAt(pos[0]) == '-') {
                pos[0]++;
                hi = next(spec, pos);
            }
            if (hi < lo) throw new IllegalArgumentException("bad range in " + spec);
            ranges.add(new int[] {lo, hi});
        }
        boolean[] bmp = new boolean[0x10000];
        List<int[]> astral = new ArrayList<>();
        for (int[] r : ranges) {
            for (int cp = r[0]; cp <= Math.min(r[1], 0xFFFF); cp++) bmp[cp] = true;
            if (r[1] > 0xFFFF) astral.add(new int[] {Math.max(r[0], 0x10000), r[1]});
        }
        astral.sort((a, b) -> Integer.compare(a[0], b[0]));
        int[] astralLo = astral.stream().mapToInt(r -> r[0]).toArray();
        int[] astralHi = astral.stream().mapToInt(r -> r[1]).toArray();
        return cp -> {
            if (cp < 0x10000) return bmp[cp];
            int i = Arrays.binarySearch(astralLo, cp);
            if (i < 0) i = -i - 2;
            return i >= 0 && cp <= astralHi[i];
        };
    }

    private static int next(String spec, int[] pos) {
        int i = pos[0];
        if (spec.startsWith("\\x{", i)) {
            int close = spec.indexOf('}', i);
            pos[0] = close + 1;
            return Integer.parseInt(spec.substring(i + 3, close), 16);
        }
        if (spec.charAt(i) == '\\') {
            char c = spec.charAt(i + 1);
            pos[0] = i + 2;
            return switch (c) {
                case 'r' -> '\r';
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> c;
            };
        }
        int cp = spec.codePointAt(i);
        pos[0] = i + Character.charCount(cp);
        return cp;
    }
}
