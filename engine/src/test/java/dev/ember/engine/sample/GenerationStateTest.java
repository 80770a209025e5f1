package dev.ember.engine.sample;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.*;

class GenerationStateTest {
    private static final int HELLO = 0, WORLD = 1, EOS = 2, BANG = 3, E_ACUTE_1 = 4, E_ACUTE_2 = 5, WOR = 6;

    private static final IntFunction<byte[]> BYTES = id -> switch (id) {
        case HELLO -> "Hello".getBytes(StandardCharsets.UTF_8);
        case WORLD -> " world".getBytes(StandardCharsets.UTF_8);
        case EOS -> new byte[0];
        case BANG -> "!".getBytes(StandardCharsets.UTF_8);
        case E_ACUTE_1 -> new byte[]{(byte) 0xC3};
        case E_ACUTE_2 -> new byte[]{(byte) 0xA9};
        case WOR -> " wor".getBytes(StandardCharsets.UTF_8);
        default -> throw new IllegalArgumentException("no token " + id);
    };

    private static GenerationState state(SamplingParams p) {
        return new GenerationState(p, id -> id == EOS, BYTES);
    }

    @Test
    void endOfGenerationStopsAndAddsNoText() {
        GenerationState g = state(SamplingParams.greedy(10));
        assertNull(g.accept(HELLO));
        assertNull(g.accept(WORLD));
        assertEquals(FinishReason.STOP, g.accept(EOS));
        assertEquals("Hello world", g.text());
        assertEquals(3, g.generated());
        assertThrows(IllegalStateException.class, () -> g.accept(HELLO));
    }

    @Test
    void ignoreEosRunsToMaxTokens() {
        GenerationState g = state(SamplingParams.builder().maxTokens(3).ignoreEos(true).build());
        assertNull(g.accept(HELLO));
        assertNull(g.accept(EOS));
        assertEquals(FinishReason.LENGTH, g.accept(BANG));
        assertEquals("Hello!", g.text());
    }

    @Test
    void stopTokenIdsStopEvenWithIgnoreEosAndAreNotEmitted() {
        GenerationState g = state(SamplingParams.builder().ignoreEos(true).stopTokenIds(BANG).build());
        assertNull(g.accept(HELLO));
        assertEquals(FinishReason.STOP, g.accept(BANG));
        assertEquals("Hello", g.text());
    }

    @Test
    void maxTokensGivesLength() {
        GenerationState g = state(SamplingParams.greedy(2));
        assertNull(g.accept(HELLO));
        assertEquals(FinishReason.LENGTH, g.accept(HELLO));
        assertEquals(FinishReason.LENGTH, g.finishReason());
        assertEquals("HelloHello", g.text());
        assertTrue(state(SamplingParams.greedy(0)).finished());
    }

    @Test
    void stopTokenOnTheLastAllowedTokenIsStop() {
        GenerationState g = state(SamplingParams.greedy(2));
        assertNull(g.accept(HELLO));
        assertEquals(FinishReason.STOP, g.accept(EOS));
    }

    @Test
    void stopStringAcrossTokensCutsTheText() {
        GenerationState g = state(SamplingParams.builder().stop(List.of("lo wo")).build());
        assertNull(g.accept(HELLO));
        assertEquals("Hel", g.text());                  // "lo" might start the stop string
        assertEquals(FinishReason.STOP, g.accept(WORLD));
        assertEquals("Hel", g.text());
    }

    @Test
    void heldTextIsReleasedOnLength() {
        GenerationState g = state(SamplingParams.builder().maxTokens(2).stop(List.of("world")).build());
        assertNull(g.accept(HELLO));
        assertEquals(FinishReason.LENGTH, g.accept(WOR));
        assertEquals("Hello wor", g.text());
    }

    @Test
    void heldTextIsReleasedOnContextFull() {
        GenerationState g = state(SamplingParams.builder().stop(List.of("world")).build());
        g.accept(HELLO);
        g.accept(WOR);
        assertEquals("Hello ", g.text());
        assertEquals(FinishReason.LENGTH, g.finish(FinishReason.LENGTH));
        assertEquals("Hello wor", g.text());
    }

    @Test
    void multiByteCharactersSplitAcrossTokens() {
        GenerationState g = state(SamplingParams.greedy(10));
        g.accept(E_ACUTE_1);
        assertEquals("", g.text());                     // half a character waits
        g.accept(E_ACUTE_2);
        assertEquals("é", g.text());
        GenerationState cut = state(SamplingParams.greedy(2));
        cut.accept(HELLO);
        cut.accept(E_ACUTE_1);
        assertEquals("Hello\uFFFD", cut.text());         // finished mid-character
    }

    @Test
    void stopStringOfAMultiByteCharacter() {
        GenerationState g = state(SamplingParams.builder().stop(List.of("é")).build());
        g.accept(HELLO);
        g.accept(E_ACUTE_1);
        assertEquals(FinishReason.STOP, g.accept(E_ACUTE_2));
        assertEquals("Hello", g.text());
    }
}
