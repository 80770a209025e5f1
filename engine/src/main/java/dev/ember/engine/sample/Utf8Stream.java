package dev.ember.engine.sample;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns token bytes into text incrementally. A token can end in the middle of a multi-byte
 * character (byte-fallback and byte-level BPE do this routinely), so trailing bytes of an incomplete
 * character wait for the next token; invalid bytes become U+FFFD, as the tokenizer's whole-sequence
 * decode does. Buffers are reused, so steady-state decoding allocates nothing.
 */
final class Utf8Stream {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer in = ByteBuffer.allocate(32);       // write mode between calls
    private final CharBuffer out = CharBuffer.allocate(64);

    /** Decodes the complete characters now available into {@code sink} (which reads them before returning). */
    void feed(byte[] bytes, CharSink sink) {
        if (in.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(in.capacity() * 2, in.position() + bytes.length));
            in.flip();
            bigger.put(in);
            in = bigger;
        }
        in.put(bytes);
        in.flip();
        decode(false, sink);
        in.compact();
    }

    /** End of text: any incomplete trailing bytes become U+FFFD. */
    void finish(CharSink sink) {
        in.flip();
        decode(true, sink);
        while (decoder.flush(out).isOverflow()) drain(sink);
        drain(sink);
        decoder.reset();
        in.clear();
    }

    private void decode(boolean endOfInput, CharSink sink) {
        while (decoder.decode(in, out, endOfInput).isOverflow()) drain(sink);
        drain(sink);
    }

    private void drain(CharSink sink) {
        out.flip();
        if (out.hasRemaining()) sink.accept(out);
        out.clear();
    }

    /** Receives decoded characters; the buffer is only valid during the call. */
    @FunctionalInterface
    interface CharSink {
        void accept(CharSequence chars);
    }
}
