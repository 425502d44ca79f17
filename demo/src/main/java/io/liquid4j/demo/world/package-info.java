/**
 * ShapesWorld: the procedural picture-and-caption world of {@code liquid demo}. Scenes of one or
 * two coloured shapes on a light background are rendered to small RGB images, described by
 * templated captions and a short text corpus, parsed back from text by {@link
 * io.liquid4j.demo.world.CaptionParser}, and recognised from pixels alone by {@link
 * io.liquid4j.demo.world.ShapeScorer}, so a tiny model's drawings and captions can be scored
 * exactly. Four colour×kind pairs are held out of training to test compositional generalisation.
 */
package io.liquid4j.demo.world;
