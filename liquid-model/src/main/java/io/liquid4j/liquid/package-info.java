/** The Liquid model layout: where image codes and the image framing tokens live in the vocabulary (liquid.json). */
package io.liquid4j.liquid;
