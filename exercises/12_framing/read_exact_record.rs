// read_exact_record
//
// A weather station streams its readings as fixed-size binary records of 8 bytes each:
//
//     bytes 0..2   the magic bytes "WX"
//     bytes 2..4   the sensor number, a u16, big-endian
//     bytes 4..8   the temperature in tenths of a degree, an i32, big-endian
//
// `read_record` reads the next record. It works while each record arrives in one piece, but
// over a real network a record may arrive a few bytes at a time, and then it returns garbage.
//
// A `read` fills as much of the buffer as has arrived, and only says how much in its return
// value. Make `read_record` wait for all 8 bytes. A stream that ends in the middle of a record
// is an error of kind `UnexpectedEof`, never a record padded with zeroes.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

#[derive(Debug, PartialEq)]
pub struct Record {
    pub sensor: u16,
    pub tenths: i32,
}

/// Reads the next 8-byte record from `input`.
pub async fn read_record<R: AsyncRead + Unpin>(input: &mut R) -> io::Result<Record> {
    let mut bytes = [0u8; 8];
    // TODO: this fills `bytes` only with what has arrived so far, and ignores how much that was.
    input.read(&mut bytes).await?;
    if &bytes[0..2] != b"WX" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a record must start with WX",
        ));
    }
    Ok(Record {
        sensor: u16::from_be_bytes([bytes[2], bytes[3]]),
        tenths: i32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
    })
}

#[tokio::main]
async fn main() {
    let mut input: &[u8] = b"WX\x00\x07\x00\x00\x00\xd7WX\x00\x08\xff\xff\xff\xf6";
    for _ in 0..2 {
        let record = read_record(&mut input).await.unwrap();
        println!(
            "sensor {}: {:.1} degrees",
            record.sensor,
            record.tenths as f64 / 10.0
        );
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream, ReadBuf};
    use tokio::task::LocalSet;
    use tokio::time::{Instant, sleep, timeout};

    fn record_bytes(sensor: u16, tenths: i32) -> Vec<u8> {
        let mut bytes = b"WX".to_vec();
        bytes.extend_from_slice(&sensor.to_be_bytes());
        bytes.extend_from_slice(&tenths.to_be_bytes());
        bytes
    }

    /// The receiving end of the station's pipe. It notes the moments of the paused clock at
    /// which a read finds nothing yet, and fails if it is polled over and over at one moment
    /// with nothing new to give, as it is by a loop that keeps trying to read instead of waiting,
    /// or that keeps reading after the stream has ended (each read then gives 0 bytes).
    struct Watched {
        pipe: DuplexStream,
        /// Polls with nothing new since the last byte, at the moment `at`.
        polls: usize,
        at: Option<Instant>,
        /// The moments at which a read found nothing yet.
        empty_moments: usize,
        last_empty: Option<Instant>,
        /// Set by the test whose paused clock jumps a year at once.
        clock_jumps: bool,
        /// How many bytes the reads have taken out of the pipe, all told.
        taken: Arc<AtomicUsize>,
    }

    impl Watched {
        fn new(pipe: DuplexStream) -> Watched {
            Watched {
                pipe,
                polls: 0,
                at: None,
                empty_moments: 0,
                last_empty: None,
                clock_jumps: false,
                taken: Arc::default(),
            }
        }
    }

    impl AsyncRead for Watched {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let now = Instant::now();
            if self.at != Some(now) {
                self.at = Some(now);
                self.polls = 0;
            }
            self.polls += 1;
            assert!(
                self.polls <= 1000 || self.clock_jumps,
                "read_record polled the stream 1000 times at one moment while no byte came: it \
                 tries to read over and over (now_or_never, try_read, yield_now in a loop) \
                 instead of waiting, or keeps reading after the stream has ended (a read that \
                 returns 0 bytes means the end: no more will come). Await the read \
                 (`read_exact`): the stream wakes you up when bytes come, and it fails with \
                 UnexpectedEof if the stream ends first"
            );
            assert!(
                self.polls <= 1000,
                "read_record polled the stream 1000 times at one moment while no byte came, \
                 right after the paused clock jumped a year at once: either it tries to read \
                 over and over (now_or_never, try_read, yield_now in a loop) instead of waiting, \
                 or it waits beside a `tokio::time::interval` (for a progress message?) that \
                 catches up on every tick of the year at once (its default \
                 MissedTickBehavior::Burst; a real clock does not jump a year, but this test has \
                 to). Await the read (`read_exact`); for a progress message, use a `sleep`, or \
                 an interval with `set_missed_tick_behavior(MissedTickBehavior::Delay)`"
            );
            let filled_before = buf.filled().len();
            let polled = Pin::new(&mut self.pipe).poll_read(cx, buf);
            if polled.is_ready() && buf.filled().len() > filled_before {
                self.polls = 0;
                self.taken
                    .fetch_add(buf.filled().len() - filled_before, Ordering::SeqCst);
            } else if self.last_empty != Some(now) {
                self.last_empty = Some(now);
                self.empty_moments += 1;
            }
            polled
        }
    }

    /// Writes `pieces` into a small pipe, 10 ms apart, then closes it.
    fn station(pieces: Vec<Vec<u8>>) -> Watched {
        station_every(pieces, Duration::from_millis(10))
    }

    /// Writes `pieces` into a small pipe, `gap` apart, then closes it.
    fn station_every(pieces: Vec<Vec<u8>>, gap: Duration) -> Watched {
        let (mut station, receiver) = tokio::io::duplex(64);
        tokio::spawn(async move {
            for piece in pieces {
                if station.write_all(&piece).await.is_err() {
                    return;
                }
                sleep(gap).await;
            }
        });
        Watched::new(receiver)
    }

    /// Fails with what was seen if `record` holds the fields of the record for `sensor` and
    /// `tenths`, but one of them (or both) decoded in the wrong byte order: then all 8 bytes
    /// had come, and the waiting is not at fault.
    fn assert_big_endian(record: &io::Result<Record>, sensor: u16, tenths: i32) {
        let Ok(got) = record else { return };
        let sensor_swapped = got.sensor != sensor && got.sensor == sensor.swap_bytes();
        let tenths_swapped = got.tenths != tenths && got.tenths == tenths.swap_bytes();
        let fields = match (sensor_swapped, tenths_swapped) {
            (true, true) => "the sensor number and the temperature were",
            (true, false) if got.tenths == tenths => "the sensor number was",
            (false, true) if got.sensor == sensor => "the temperature was",
            _ => return,
        };
        panic!(
            "the station sent the record of sensor {sensor} ({tenths} tenths), and read_record \
             returned {got:?}: all 8 bytes of the record were there, but {fields} read with \
             the bytes in the wrong order (little-endian). The fields are big-endian: \
             `u16::from_be_bytes`, `i32::from_be_bytes` (or `read_u16`, `read_i32`)"
        );
    }

    /// Fails with what was seen if read_record had taken all 8 bytes of the record out of the
    /// stream (`all_taken`), returned at the moment its last byte came (`on_time`), and gave one
    /// field right and the other wrong: then the waiting was right, and the decoding was not.
    fn assert_decoded(
        record: &io::Result<Record>,
        sensor: u16,
        tenths: i32,
        all_taken: bool,
        on_time: bool,
    ) {
        let Ok(got) = record else { return };
        if !all_taken || !on_time {
            return;
        }
        let field = if got.sensor == sensor && got.tenths != tenths {
            format!(
                "the temperature came out as {} where {tenths} was due: it is the i32 of bytes \
                 4..8 ({:?}), big-endian, as it is (`i32::from_be_bytes`, `read_i32`)",
                got.tenths,
                tenths.to_be_bytes()
            )
        } else if got.tenths == tenths && got.sensor != sensor {
            format!(
                "the sensor number came out as {} where {sensor} was due: it is the u16 of \
                 bytes 2..4 ({:?}), big-endian, as it is (`u16::from_be_bytes`, `read_u16`)",
                got.sensor,
                sensor.to_be_bytes()
            )
        } else {
            return;
        };
        panic!(
            "the station sent the record of sensor {sensor} ({tenths} tenths), and read_record \
             returned {got:?}: all 8 bytes of the record had come and been read, and it returned \
             the moment the last one came, but {field}"
        );
    }

    async fn next_record(input: &mut Watched) -> io::Result<Record> {
        timeout(Duration::from_secs(5), read_record(input))
            .await
            .expect("read_record is still waiting, though the station has sent everything")
    }

    /// The clock is paused and moves only when everything waits: a read_record that waits for
    /// the data returns at the very moment the record's last byte arrives.
    fn returned_when_complete(start: Instant, complete_ms: u64, which: &str) {
        let returned = start.elapsed();
        let complete = Duration::from_millis(complete_ms);
        assert!(
            returned == complete,
            "the last byte of {which} arrived after {complete:?}, but read_record returned it \
             after {returned:?}: return as soon as all 8 bytes are in, by waiting for those 8 \
             bytes, not for a timer (a fixed sleep is too short when the bytes come slowly, and \
             makes every record late when they come fast) or for the end of the stream"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_in_one_piece() {
        let start = Instant::now();
        let mut input = station(vec![record_bytes(7, 215)]);
        let record = next_record(&mut input).await;
        assert_big_endian(&record, 7, 215);
        let all_taken = input.taken.load(Ordering::SeqCst) >= 8;
        assert_decoded(&record, 7, 215, all_taken, start.elapsed().is_zero());
        let record = record.unwrap();
        assert_eq!(
            record,
            Record {
                sensor: 7,
                tenths: 215
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_that_arrives_a_byte_at_a_time() {
        let bytes = record_bytes(300, -42);
        let pieces = bytes.iter().map(|byte| vec![*byte]).collect();
        let start = Instant::now();
        let mut input = station(pieces);
        let record = next_record(&mut input).await;
        assert_big_endian(&record, 300, -42);
        let all_taken = input.taken.load(Ordering::SeqCst) >= 8;
        let on_time = start.elapsed() == Duration::from_millis(70);
        assert_decoded(&record, 300, -42, all_taken, on_time);
        assert!(
            matches!(
                record,
                Ok(Record {
                    sensor: 300,
                    tenths: -42
                })
            ),
            "the station sent the record for sensor 300 (-4.2 degrees) one byte at a time, 10 ms \
             apart, and read_record returned {record:?}: wait until all 8 bytes have arrived"
        );
        returned_when_complete(start, 70, "the record");
    }

    #[tokio::test(start_paused = true)]
    async fn records_cut_anywhere() {
        // Three records, cut into pieces of 3, 6, 1, 10 and 4 bytes.
        let all: Vec<u8> = [
            record_bytes(1, 100),
            record_bytes(2, -5),
            record_bytes(3, 0),
        ]
        .concat();
        let mut pieces = Vec::new();
        let mut rest = &all[..];
        for size in [3, 6, 1, 10, 4] {
            let (piece, tail) = rest.split_at(size);
            pieces.push(piece.to_vec());
            rest = tail;
        }
        let start = Instant::now();
        let mut input = station(pieces);
        // The records are complete after 9, 20 and 24 bytes: the pieces at 10, 30 and 40 ms.
        for (at, (sensor, tenths, complete_ms)) in [(1, 100, 10), (2, -5, 30), (3, 0, 40)]
            .into_iter()
            .enumerate()
        {
            let record = next_record(&mut input).await;
            assert_big_endian(&record, sensor, tenths);
            let all_taken = input.taken.load(Ordering::SeqCst) >= 8 * (at + 1);
            let on_time = start.elapsed() == Duration::from_millis(complete_ms);
            assert_decoded(&record, sensor, tenths, all_taken, on_time);
            assert!(
                matches!(&record, Ok(r) if *r == Record { sensor, tenths }),
                "expected the record of sensor {sensor} ({tenths} tenths) but read_record \
                 returned {record:?}: every record is exactly 8 bytes, however the pieces fall"
            );
            returned_when_complete(
                start,
                complete_ms,
                &format!("the record of sensor {sensor}"),
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn two_records_in_one_write() {
        let mut input = station(vec![[record_bytes(10, 1), record_bytes(11, 2)].concat()]);
        for sensor in [10, 11] {
            let record = next_record(&mut input).await;
            assert_big_endian(&record, sensor, i32::from(sensor) - 9);
            assert!(
                matches!(&record, Ok(r) if r.sensor == sensor),
                "two records came in one write, and reading the one of sensor {sensor} returned \
                 {record:?}: take exactly 8 bytes per record, and leave the rest in the stream \
                 for the next call"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_record_stays_in_the_stream() {
        let next = record_bytes(21, -210);
        let mut input = station(vec![[record_bytes(20, 200), next.clone()].concat()]);
        let record = next_record(&mut input).await;
        assert_big_endian(&record, 20, 200);
        assert!(
            matches!(&record, Ok(r) if r.sensor == 20),
            "two records came in one write, and reading the one of sensor 20 returned {record:?}"
        );
        // What read_record left in the stream, read by the test itself.
        let mut rest = Vec::new();
        timeout(Duration::from_secs(5), input.pipe.read_to_end(&mut rest))
            .await
            .expect("the station has closed the connection")
            .unwrap();
        assert!(
            rest == next,
            "two records came in one write; after read_record returned the first one, the \
             stream held {} more bytes ({rest:?}) instead of the next record's 8 ({next:?}): \
             read_record took bytes past its record out of the stream. Take exactly 8 bytes \
             (`read_exact`) and leave the rest in the stream: keep nothing of a stream outside \
             it between two calls (no buffer in a static or a thread_local, even one per \
             stream)",
            rest.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_stations_read_in_turns() {
        let mut stations = [
            station(vec![[record_bytes(1, 10), record_bytes(2, 20)].concat()]),
            station(vec![[record_bytes(3, 30), record_bytes(4, 40)].concat()]),
        ];
        for (which, sensor) in [(0, 1), (1, 3), (0, 2), (1, 4)] {
            let name = ["north", "south"][which];
            let record = next_record(&mut stations[which]).await;
            assert_big_endian(&record, sensor, i32::from(sensor) * 10);
            assert!(
                matches!(&record, Ok(r) if r.sensor == sensor),
                "two stations each sent two records in one write, and were read in turns \
                 (north, south, north, south): reading the record of sensor {sensor} from the \
                 {name} station returned {record:?}. A record must come from the stream it is \
                 read from: keep no bytes of a stream outside it between two calls (no buffer \
                 in a static or a thread_local), take exactly 8 bytes and leave the rest in the \
                 stream"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_inside_a_record() {
        let bytes = record_bytes(9, 99);
        for cut in 1..8 {
            let mut input = station(vec![bytes[..cut].to_vec()]);
            let read = timeout(Duration::from_secs(5), read_record(&mut input)).await;
            let result = read.unwrap_or_else(|_| {
                panic!(
                    "the station sent {cut} bytes of a record, then closed the connection, and \
                     read_record was still waiting 5 s later: a read that returns 0 bytes means \
                     the stream has ended, and no more will come. Return an error of kind \
                     UnexpectedEof (`read_exact` does)"
                )
            });
            match result {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {}
                other => panic!(
                    "the station sent {cut} bytes of a record, then closed the connection, and \
                     read_record returned {other:?}: that must be an error of kind \
                     UnexpectedEof, wherever the record is cut (a record cut short is not a \
                     record padded with zeroes)"
                ),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_between_records() {
        // One whole record, then the station closes: no bytes of a second record ever came.
        for records in [0, 1] {
            let pieces = (0..records).map(|_| record_bytes(4, 40)).collect();
            let mut input = station(pieces);
            for _ in 0..records {
                let record = next_record(&mut input).await;
                assert_big_endian(&record, 4, 40);
                assert!(
                    matches!(&record, Ok(r) if r.sensor == 4),
                    "the station sent one record, and read_record returned {record:?}"
                );
            }
            let after = next_record(&mut input).await;
            assert!(
                after.is_err(),
                "the station sent {records} record(s), then closed the connection, and the \
                 next read_record returned {after:?}: no byte of another record came, so \
                 there is no record to return. Return an error (`read_exact` gives one of \
                 kind UnexpectedEof), never a record made up of bytes that did not come"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_without_the_magic_bytes() {
        // The first magic byte wrong, then the second; each sent whole, then a byte at a time.
        for (at, wrong) in [(0, b'Q'), (1, b'Y')] {
            let mut bytes = record_bytes(1, 1);
            bytes[at] = wrong;
            let start = String::from_utf8_lossy(&bytes[..2]).into_owned();
            for whole in [true, false] {
                let (pieces, how) = if whole {
                    (vec![bytes.clone()], "in one piece")
                } else {
                    (
                        bytes.iter().map(|byte| vec![*byte]).collect(),
                        "one byte at a time, 10 ms apart",
                    )
                };
                let mut input = station(pieces);
                let result = next_record(&mut input).await;
                assert!(
                    matches!(&result, Err(e) if e.kind() == io::ErrorKind::InvalidData),
                    "the station sent a record that starts with {start:?} instead of \"WX\", \
                     {how}, and read_record returned {result:?}: a record whose two first bytes \
                     are not both \"WX\" is an error of kind InvalidData, however its bytes \
                     arrive (check both magic bytes, once both have come)"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn temperatures_that_need_all_four_bytes() {
        // Tenths that do not fit in 16 bits: the temperature is all of bytes 4..8.
        let readings = [
            (60_000, 40_000),
            (8, -70_000),
            (9, i32::MAX),
            (10, i32::MIN),
        ];
        let pieces = readings
            .iter()
            .map(|&(sensor, tenths)| record_bytes(sensor, tenths))
            .collect();
        let start = Instant::now();
        let mut input = station(pieces);
        // The records come 10 ms apart, each in one piece.
        for (at, (sensor, tenths)) in readings.into_iter().enumerate() {
            let record = next_record(&mut input).await;
            assert_big_endian(&record, sensor, tenths);
            let all_taken = input.taken.load(Ordering::SeqCst) >= 8 * (at + 1);
            let on_time = start.elapsed() == Duration::from_millis(10 * at as u64);
            let Ok(got) = &record else {
                panic!(
                    "the station sent the record of sensor {sensor} ({tenths} tenths), and \
                     read_record returned {record:?}"
                );
            };
            if *got == (Record { sensor, tenths }) {
                continue;
            }
            let low16 = i32::from(tenths as i16);
            let detail = if got.sensor == sensor
                && (got.tenths == low16 || got.tenths == i32::from(tenths as u16))
            {
                "the temperature that came back is what its last two bytes alone give: the \
                 temperature is an i32 of all four bytes 4..8 (`i32::from_be_bytes`, \
                 `read_i32`)"
            } else {
                assert_decoded(&record, sensor, tenths, all_taken, on_time);
                "the temperature is an i32 of bytes 4..8, big-endian, and the sensor a u16 of \
                 bytes 2..4"
            };
            panic!(
                "the station sent the record of sensor {sensor} ({tenths} tenths), and \
                 read_record returned {got:?}: {detail}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_station_that_goes_quiet_for_a_year() {
        // Half a record, then nothing for a year (366 days) on an open connection, then the rest.
        // (The clock jumps the year at once, so a progress message on a timer costs nothing.)
        let bytes = record_bytes(12, -7);
        let (mut sender, receiver) = tokio::io::duplex(64);
        // A local task: read_record's future need not be `Send`, as in `main`.
        let local = LocalSet::new();
        let taken: Arc<AtomicUsize> = Arc::default();
        let counted = Arc::clone(&taken);
        let reading = local.spawn_local(async move {
            let mut input = Watched::new(receiver);
            input.clock_jumps = true;
            input.taken = counted;
            read_record(&mut input).await
        });
        let start = Instant::now();
        let sending = async {
            sender.write_all(&bytes[..4]).await.unwrap();
            sleep(Duration::from_millis(1)).await;
            let returned_at_once = reading.is_finished();
            tokio::time::advance(Duration::from_secs(366 * 24 * 3600)).await;
            // A few turns with no time passing, so that a timer the year has ended gets its say
            // (and a sleep that only logs its progress is not spun through a year).
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            // The rest is sent, unless read_record has given up and closed the connection.
            let _ = sender.write_all(&bytes[4..]).await;
            (
                timeout(Duration::from_secs(5), reading).await,
                returned_at_once,
            )
        };
        let (record, returned_at_once) = local.run_until(sending).await;
        let Ok(record) = record else {
            let taken = taken.load(Ordering::SeqCst);
            if taken >= 8 {
                panic!(
                    "the station sent half a record, went quiet for a year with the connection \
                     still open, then sent the rest; read_record took all 8 bytes out of the \
                     stream, and 5 s later it was still waiting, with no record. Were bytes it \
                     had read lost? A `read_exact` dropped before it has finished (as a \
                     `select!` drops a branch that loses: to a timer's tick, after the year?) \
                     loses what it had read, and a new one starts again at the start of the \
                     buffer. Keep one `read_exact` going until it is done (pin it before the \
                     loop, and select on `&mut` it)"
                );
            }
            panic!(
                "the station sent half a record, went quiet for a year with the connection \
                 still open, then sent the rest, and read_record is still waiting 5 s later \
                 (it took {taken} of the 8 bytes out of the stream): wait until all 8 bytes \
                 have arrived (`read_exact`), and return the record then"
            );
        };
        let record = record.expect("read_record panicked");
        assert_big_endian(&record, 12, -7);
        // The rest came 1 ms and a year after the start.
        let all_taken = taken.load(Ordering::SeqCst) >= 8;
        let on_time = start.elapsed() == Duration::from_millis(1 + 366 * 24 * 3600 * 1000);
        assert_decoded(&record, 12, -7, all_taken, on_time);
        let when = if returned_at_once {
            "at once, with half the record there: wait until all 8 bytes have arrived \
             (`read_exact`)"
                .to_string()
        } else {
            format!(
                "after {:?}: a quiet station has not gone away. Wait for all 8 bytes for as \
                 long as it takes (`read_exact`), without a timer that gives up",
                start.elapsed()
            )
        };
        assert!(
            matches!(&record, Ok(r) if *r == Record { sensor: 12, tenths: -7 }),
            "the station sent half a record, went quiet for a year with the connection still \
             open, then sent the rest, and read_record returned {record:?} {when}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn read_record_waits_for_the_bytes_without_a_timer() {
        // Nothing for 1.009 s, then a record in 4 pieces of 2 bytes, 1.009 s apart: a gap of a
        // prime number of ms, at which no timer of a period over 1 ms that started with the
        // call (nor one restarted when a piece came) is due.
        let mut pieces = vec![Vec::new()];
        pieces.extend(record_bytes(5, 55).chunks(2).map(<[u8]>::to_vec));
        let count = pieces.len() - 1;
        let start = Instant::now();
        let mut input = station_every(pieces, Duration::from_millis(1009));
        let record = next_record(&mut input).await;
        assert_big_endian(&record, 5, 55);
        assert!(
            matches!(&record, Ok(r) if *r == Record { sensor: 5, tenths: 55 }),
            "after 1.009 s of silence, the station sent the record of sensor 5 in {count} \
             pieces 1.009 s apart, and read_record returned {record:?}: wait until all 8 bytes \
             have arrived"
        );
        returned_when_complete(start, 4036, "the record, in its fourth piece,");
        // Waiting takes one or two empty reads per piece (plus the first); allow one more per
        // 10 ms, for a progress message on a timer (a poller that returns late is caught above).
        let allowed = 2 * (count + 1) + 4036 / 10;
        assert!(
            input.empty_moments <= allowed,
            "the station was quiet for 1.009 s, then sent a record in {count} pieces 1.009 s \
             apart, and read_record found nothing to read at {} moments of those 4.036 s (at \
             most {allowed} allowed: two per piece, and one per 10 ms for a progress message): \
             it looks for bytes on a timer (a short `timeout` or `sleep` around a read, retried) \
             instead of waiting for them. \
             Await the read (`read_exact`): the stream wakes you up when bytes come",
            input.empty_moments
        );
    }

    /// A stream that gives its bytes, then fails every read with an error of kind Other.
    struct Breaks(Vec<u8>, usize);

    impl AsyncRead for Breaks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.0.is_empty() {
                self.1 += 1;
                assert!(
                    self.1 < 1000,
                    "a read returned an `Err` of kind Other, and read_record read the stream \
                     again 1000 times after it: it retries a failed read for ever, so a broken \
                     connection is never reported. Pass the error on (`?`)"
                );
                return Poll::Ready(Err(io::Error::other("the stream broke (on purpose)")));
            }
            let n = self.0.len().min(buf.remaining());
            buf.put_slice(&self.0[..n]);
            self.0.drain(..n);
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_error_is_passed_on() {
        let whole = record_bytes(3, 30);
        for (cut, place) in [(0, "before a record"), (3, "inside a record")] {
            let mut input = Breaks(whole[..cut].to_vec(), 0);
            // In a (local) task of its own, so that a panic is caught and judged.
            let local = LocalSet::new();
            let reading = local.spawn_local(async move {
                let result = read_record(&mut input).await;
                // Whether a read met the failure (the bytes before it all read).
                (result, input.1 > 0)
            });
            let (result, failed) = match local.run_until(reading).await {
                Ok(result) => result,
                Err(e) if e.to_string().contains("read the stream") => panic!("{e}"),
                // A panic of the fix's own (`expect("read failed")`) tells the caller too.
                Err(e) if e.is_panic() => continue,
                Err(e) => panic!("the stream failed {place}, and read_record was stopped: {e}"),
            };
            assert!(
                failed || matches!(&result, Err(e) if e.kind() != io::ErrorKind::UnexpectedEof),
                "the stream held {cut} bytes of a record and then failed, and read_record \
                 returned {result:?} without reading again after those {cut} bytes: it never \
                 met the failure. A read returns whatever has arrived, fewer bytes than asked \
                 for too: read until all 8 bytes are there (`read_exact`), and pass a read's \
                 error on as it is (`?`)"
            );
            assert!(
                matches!(&result, Err(e) if e.kind() != io::ErrorKind::UnexpectedEof),
                "the stream failed {place} (a read returned an `Err` of kind Other: the stream \
                 had not ended), and read_record returned {result:?}: pass a read's error on as \
                 it is (`?`). Only a read of 0 bytes is the end of the stream: do not turn an \
                 `Err` into 0 bytes or into an UnexpectedEof, which says that the station closed \
                 the connection mid-record"
            );
        }
    }
}
