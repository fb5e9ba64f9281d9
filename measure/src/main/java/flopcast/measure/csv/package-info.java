/** CSV files written from one schema declaration each (RFC 4180, locale-free). */
package flopcast.measure.csv;
