package dev.ember.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Pre-tokenizer splits against Hugging Face tokenizers' own output for the models' split regexes
 * (fixture made by tools/fixtures/tokenizer/gen_pretokenizer_splits.py). This is the coverage for
 * Llama 3's llama-bpe split, whose llama.cpp vocab vectors are not available, and of o200k's
 * gpt-4o split (GPT-4o, gpt-oss; where Ember follows the real split, not llama.cpp's
 * approximation); qwen2 and gpt-2 are included as a cross-check of the scanners against the
 * reference regex engine.
 */
class PreTokenizerSplitsTest {

    record Case(String pre, String text, int[] expected) {}

    static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = PreTokenizerSplitsTest.class.getResourceAsStream("/tokenizer/pretokenizer-splits.tsv")) {
            assertTrue(in != null, "fixture tokenizer/pretokenizer-splits.tsv missing");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] cols = line.split("\t", -1);
                String text = new String(Base64.getDecoder().decode(cols[1]), StandardCharsets.UTF_8);
                int[] lengths = cols[2].isEmpty() ? new int[0] : Arrays.stream(cols[2].split(",")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(cols[0], text, lengths));
            }
        }
        return cases;
    }

    static int[] split(String pre, String text) {
        PreTokenizer p = PreTokenizers.forName(pre).splitter();
        return p.split(new SplitText(text.codePoints().toArray())).toArray();
    }

    @Test
    void splitsMatchHuggingFace() throws IOException {
        List<Case> cases = cases();
        assertTrue(cases.size() > 100, "fixture has only " + cases.size() + " cases");
        List<String> failures = new ArrayList<>();
        int passed = 0;
        for (Case c : cases) {
            int[] got = split(c.pre(), c.text());
            if (Arrays.equals(c.expected(), got)) passed++;
            else failures.add(c.pre() + " " + escape(c.text()) + "\n  expected " + pieces(c.text(), c.expected()) + "\n  got      " + pieces(c.text(), got));
        }
        System.out.printf("pre-tokenizer splits vs HF: %d/%d pass%n", passed, cases.size());
        if (!failures.isEmpty()) fail(failures.size() + " split mismatches:\n" + String.join("\n", failures));
    }

    @Test
    void llama3SplitsKnownExamples() {
        assertEquals(List.of("Hello", ",", " world", "!"), pieces("Hello, world!", split("llama-bpe", "Hello, world!")));
        assertEquals(List.of("123", "456", "7"), pieces("1234567", split("llama-bpe", "1234567")));
        assertEquals(List.of("I", "'VE", " been"), pieces("I'VE been", split("llama-bpe", "I'VE been")));
        assertEquals(List.of("  ", " x"), pieces("   x", split("llama-bpe", "   x")));
        assertEquals(List.of("a", "  \n\n", "b"), pieces("a  \n\nb", split("llama-bpe", "a  \n\nb")));
    }

    static List<String> pieces(String text, int[] lengths) {
        int[] cps = text.codePoints().toArray();
        List<String> out = new ArrayList<>();
        int pos = 0;
        for (int len : lengths) {
            if (pos + len > cps.length) {
                out.add("<overrun " + len + ">");
                break;
            }
            out.add(new String(cps, pos, len));
            pos += len;
        }
        return out;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (cp == '\t') sb.append("\\t");
            else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || Character.isWhitespace(cp) && cp != ' ') sb.append(String.format("\\u%04x", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('"').toString();
    }
}
