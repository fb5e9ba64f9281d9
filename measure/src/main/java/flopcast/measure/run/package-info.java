/**
 * A training run of the complete model: choosing the backend, the steps, and the meters (live heap, bytes allocated) beside the counted and predicted figures.
 */
package flopcast.measure.run;
