package io.liquid4j.demo.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The text corpus: deterministic, short, in a small vocabulary, and free of held-out pairs. */
class TextCorpusTest {
    private final ShapesWorld world = new ShapesWorld();

    @Test
    void sameSeedGivesSameDocuments() {
        assertEquals(world.textCorpus(new SplittableRandom(3), 200), world.textCorpus(new SplittableRandom(3), 200));
    }

    @Test
    void documentsAreShortInASmallVocabularyAndNeverPairAHeldOutColourWithItsKind() {
        List<String> docs = world.textCorpus(new SplittableRandom(8), 5_000);
        assertEquals(5_000, docs.size());
        Set<String> vocabulary = new HashSet<>();
        boolean story = false, fact = false, comparison = false;
        for (String doc : docs) {
            assertTrue(doc.matches("[a-z ,.?]+"), doc);
            String[] sentences = doc.split("(?<=[.?]) ");
            assertTrue(sentences.length >= 1 && sentences.length <= 4, doc);
            for (String sentence : sentences) {
                assertTrue(sentence.endsWith(".") || sentence.endsWith("?"), doc);
                for (ParsedShape p : CaptionParser.parse(sentence).shapes()) {
                    assertFalse(p.colour() != null && p.kind() != null && ShapesWorld.isHeldOut(p.colour(), p.kind()), sentence);
                }
                for (String w : sentence.split("[^a-z]+")) if (!w.isEmpty()) vocabulary.add(w);
            }
            story |= doc.contains(" it moves to the ");
            fact |= doc.contains("a triangle has three corners.");
            comparison |= doc.contains(" is bigger than ");
        }
        assertTrue(story && fact && comparison);
        assertTrue(vocabulary.size() <= 100, () -> vocabulary.size() + " words: " + vocabulary);
    }
}
