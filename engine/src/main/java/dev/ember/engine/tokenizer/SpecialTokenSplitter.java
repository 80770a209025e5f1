package dev.ember.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts special-token texts out of the input before the model's tokenizer sees it, the way
 * llama.cpp's partitioning does: tokens are taken longest first, each over every text fragment left
 * by the longer ones, left to right. Control and unknown tokens are only recognized when the caller
 * asks for parseSpecial; user-defined tokens always are (HF tokenizers treat added tokens so).
 * LSTRIP/RSTRIP tokens swallow the ASCII whitespace next to them.
 */
final class SpecialTokenSplitter {
    private record Special(String text, int id, int attrs) {}

    private final Special[] specials;
    /** Marks the first char of every special text: most inputs contain none and skip all searching. */
    private final boolean[] firstChars = new boolean[0x10000];

    SpecialTokenSplitter(Vocab vocab) {
        List<Special> list = new ArrayList<>();
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.has(id, TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) {
                list.add(new Special(vocab.text(id), id, vocab.attrs(id)));
            }
        }
        // Longest (in UTF-8 bytes, as llama.cpp measures) first; ties by id for a stable order.
        list.sort(Comparator.comparingInt((Special s) -> -Vocab.utf8Length(s.text())).thenComparingInt(Special::id));
        specials = list.toArray(new Special[0]);
        for (Special s : specials) firstChars[s.text().charAt(0)] = true;
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        return split(text, parseSpecial, null);
    }

    /**
     * {@link #split(String, boolean)} where, inside the {@code [start, end)} pairs of {@code plain},
     * only the tokens that parseSpecial=false recognizes are taken (user-defined ones): control
     * tokens there stay text.
     */
    List<Fragment> split(String text, boolean parseSpecial, int[] plain) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) return fragments;
        fragments.add(Fragment.text(0, text.length()));
        if (!containsAnyFirstChar(text)) return fragments;
        for (Special s : specials) {
            if (!parseSpecial && (s.attrs() & TokenAttr.HIDDEN) != 0) continue;
            if (!firstChars[s.text().charAt(0)] || text.indexOf(s.text()) < 0) continue;
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (f.isText()) cut(text, f.start(), f.end(), s, (s.attrs() & TokenAttr.HIDDEN) != 0 ? plain : null, next);
                else next.add(f);
            }
            fragments = next;
        }
        return fragments;
    }

    private static boolean overlaps(int[] ranges, int start, int end) {
        if (ranges == null) return false;
        for (int i = 0; i + 1 < ranges.length; i += 2) if (start < ranges[i + 1] && ranges[i] < end) return true;
        return false;
    }

    private boolean containsAnyFirstChar(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (firstChars[text.charAt(i)]) return true;
        }
        return false;
    }

    /** Splits text [start, end) at every occurrence of s that overlaps none of the {@code skip} ranges. */
    private static void cut(String text, int start, int end, Special s, int[] skip, List<Fragment> out) {
        String needle = s.text();
        int from = start;
        int search = from;
        while (from < end) {
            int match = text.indexOf(needle, search);
            if (match < 0 || match + needle.length() > end) break;
            if (overlaps(skip, match, match + needle.length())) {
                search = match + 1;
                continue;
            }
            search = match + needle.length();
            int leftEnd = match;
            if ((s.attrs() & TokenAttr.LSTRIP) != 0) {
                while (leftEnd > from && isAsciiSpace(text.charAt(leftEnd - 1))) leftEnd--;
            }
            if (leftEnd > from) out.add(Fragment.text(from, leftEnd));
            out.add(Fragment.special(s.id()));
            from = match + needle.length();
            if ((s.attrs() & TokenAttr.RSTRIP) != 0) {
                while (from < end && isAsciiSpace(text.charAt(from))) from++;
            }
            search = from;
        }
        if (from < end) out.add(Fragment.text(from, end));
    }

    /** C isspace() in the "C" locale, which is what llama.cpp strips with. */
    static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    int count() { return specials.length; }

    @Override
    public String toString() {
        return "SpecialTokenSplitter" + Arrays.toString(specials);
    }
}
