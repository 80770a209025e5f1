package dev.ember.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Incremental detokenizer for a generation loop. Byte-level BPE and SentencePiece byte fallback can
 * split one UTF-8 character over several tokens, so decoding token by token would emit broken
 * characters; this decoder emits text only up to the last complete character and carries the
 * incomplete tail into the next call. Concatenating everything {@link #accept} and {@link #finish}
 * return gives the same text as decoding the whole sequence at once (without the leading-space
 * removal {@link Tokenizer#decode} applies to a prompt's first word).
 *
 * <pre>{@code
 * StreamingDecoder dec = tokenizer.streamingDecoder();
 * for (int id : sampledIds) {
 *     if (tokenizer.isEndOfGeneration(id)) break;
 *     out.append(dec.accept(id));   // "" while a character is incomplete
 * }
 * out.append(dec.finish());         // flushes a dangling partial character as U+FFFD
 * }</pre>
 *
 * <p>One instance per sequence; not thread-safe. Holds at most 3 pending bytes plus one token.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    public StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token; returns the text it completes (possibly empty). Control tokens add nothing. */
    public String accept(int token) {
        byte[] bytes = tokenizer instanceof GgufTokenizer g ? g.piece(token) : tokenizer.tokenBytes(token);
        if (bytes.length == 0) return "";
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        int complete = Utf8.completePrefix(pending, pendingLength);
        if (complete == 0) return "";
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Returns any held-back bytes (an incomplete character, as U+FFFD) and resets the decoder. */
    public String finish() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** True while bytes of an incomplete character are held back. */
    public boolean hasPending() {
        return pendingLength > 0;
    }
}
