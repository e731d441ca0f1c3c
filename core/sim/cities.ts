// Real city centres (WGS84) used as card homes, merchant locations and travel destinations.
// `code` goes into terminal ids; `country` is ISO 3166-1 alpha-2; `tz` is a rough UTC offset in
// hours for the daily rhythm of spending; `weight` is the share of cards living there.

import type { TransactionEvent } from "../schemas.js";

type Currency = TransactionEvent["currency"];

export interface City {
  code: string;
  name: string;
  country: string;
  currency: Currency;
  lat: number;
  lon: number;
  tz: number;
  weight: number;
}

const c = (code: string, name: string, country: string, currency: Currency, lat: number, lon: number, tz: number, weight: number): City => ({
  code, name, country, currency, lat, lon, tz, weight,
});

export const CITIES: readonly City[] = [
  c("NYC", "New York", "US", "USD", 40.7128, -74.006, -5, 10),
  c("LAX", "Los Angeles", "US", "USD", 34.0522, -118.2437, -8, 7),
  c("CHI", "Chicago", "US", "USD", 41.8781, -87.6298, -6, 6),
  c("HOU", "Houston", "US", "USD", 29.7604, -95.3698, -6, 5),
  c("PHX", "Phoenix", "US", "USD", 33.4484, -112.074, -7, 3),
  c("MIA", "Miami", "US", "USD", 25.7617, -80.1918, -5, 3),
  c("SEA", "Seattle", "US", "USD", 47.6062, -122.3321, -8, 3),
  c("ATL", "Atlanta", "US", "USD", 33.749, -84.388, -5, 3),
  c("DEN", "Denver", "US", "USD", 39.7392, -104.9903, -7, 2),
  c("BOS", "Boston", "US", "USD", 42.3601, -71.0589, -5, 2),
  c("TOR", "Toronto", "CA", "CAD", 43.6532, -79.3832, -5, 4),
  c("VAN", "Vancouver", "CA", "CAD", 49.2827, -123.1207, -8, 2),
  c("MTL", "Montreal", "CA", "CAD", 45.5017, -73.5673, -5, 2),
  c("MEX", "Mexico City", "MX", "MXN", 19.4326, -99.1332, -6, 3),
  c("SAO", "São Paulo", "BR", "BRL", -23.5505, -46.6333, -3, 3),
  c("BUE", "Buenos Aires", "AR", "ARS", -34.6037, -58.3816, -3, 2),
  c("BOG", "Bogotá", "CO", "COP", 4.711, -74.0721, -5, 1),
  c("LIM", "Lima", "PE", "PEN", -12.0464, -77.0428, -5, 1),
  c("SCL", "Santiago", "CL", "CLP", -33.4489, -70.6693, -4, 1),
  c("LON", "London", "GB", "GBP", 51.5074, -0.1278, 0, 6),
  c("MAN", "Manchester", "GB", "GBP", 53.4808, -2.2426, 0, 2),
  c("PAR", "Paris", "FR", "EUR", 48.8566, 2.3522, 1, 4),
  c("BER", "Berlin", "DE", "EUR", 52.52, 13.405, 1, 3),
  c("MUC", "Munich", "DE", "EUR", 48.1351, 11.582, 1, 2),
  c("MAD", "Madrid", "ES", "EUR", 40.4168, -3.7038, 1, 2),
  c("BCN", "Barcelona", "ES", "EUR", 41.3874, 2.1686, 1, 2),
  c("ROM", "Rome", "IT", "EUR", 41.9028, 12.4964, 1, 2),
  c("MIL", "Milan", "IT", "EUR", 45.4642, 9.19, 1, 2),
  c("AMS", "Amsterdam", "NL", "EUR", 52.3676, 4.9041, 1, 2),
  c("BRU", "Brussels", "BE", "EUR", 50.8503, 4.3517, 1, 1),
  c("ZRH", "Zurich", "CH", "CHF", 47.3769, 8.5417, 1, 1),
  c("VIE", "Vienna", "AT", "EUR", 48.2082, 16.3738, 1, 1),
  c("STO", "Stockholm", "SE", "SEK", 59.3293, 18.0686, 1, 1),
  c("WAW", "Warsaw", "PL", "PLN", 52.2297, 21.0122, 1, 1),
  c("DUB", "Dublin", "IE", "EUR", 53.3498, -6.2603, 0, 1),
  c("LIS", "Lisbon", "PT", "EUR", 38.7223, -9.1393, 0, 1),
  c("IST", "Istanbul", "TR", "TRY", 41.0082, 28.9784, 3, 2),
  c("DXB", "Dubai", "AE", "AED", 25.2048, 55.2708, 4, 1),
  c("CAI", "Cairo", "EG", "EGP", 30.0444, 31.2357, 2, 1),
  c("LOS", "Lagos", "NG", "NGN", 6.5244, 3.3792, 1, 1),
  c("NBO", "Nairobi", "KE", "KES", -1.2921, 36.8219, 3, 1),
  c("JNB", "Johannesburg", "ZA", "ZAR", -26.2041, 28.0473, 2, 1),
  c("BOM", "Mumbai", "IN", "INR", 19.076, 72.8777, 5.5, 2),
  c("DEL", "Delhi", "IN", "INR", 28.7041, 77.1025, 5.5, 2),
  c("SIN", "Singapore", "SG", "SGD", 1.3521, 103.8198, 8, 2),
  c("KUL", "Kuala Lumpur", "MY", "MYR", 3.139, 101.6869, 8, 2),
  c("TYO", "Tokyo", "JP", "JPY", 35.6762, 139.6503, 9, 4),
  c("SEL", "Seoul", "KR", "KRW", 37.5665, 126.978, 9, 2),
  c("SHA", "Shanghai", "CN", "CNY", 31.2304, 121.4737, 8, 2),
  c("BKK", "Bangkok", "TH", "THB", 13.7563, 100.5018, 7, 1),
  c("SYD", "Sydney", "AU", "AUD", -33.8688, 151.2093, 10, 3),
  c("MEL", "Melbourne", "AU", "AUD", -37.8136, 144.9631, 10, 2),
  c("AKL", "Auckland", "NZ", "NZD", -36.8485, 174.7633, 12, 1),
];
