/** The results files: {@code measurements.csv}'s schema, its writer and its strict reader. */
package flopcast.measure.results;
