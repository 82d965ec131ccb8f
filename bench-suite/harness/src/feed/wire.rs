//! The wire format: one text message per trade, written by [`FeedTick::message_prefix`] (the sender appends its
//! clock) and read back by [`parse`].
//!
//! One text message per trade, shaped like an exchange's trade stream (field names follow Binance's, plus the
//! sequence numbers and send time this benchmark needs):
//!
//! ```text
//! {"e":"trade","seq":17,"cseq":3,"s":"SYM042","t":17,"p":"101.25","q":"300","m":true,"T":1767623400017512,"sent_ns":1795000000123456789}
//! ```
//! `seq` is the trade's row in the dataset (unique over the session), `cseq` counts messages on this connection
//! from 0 (a jump is a gap), `p` and `q` are decimal strings, `T` is the trade time in microseconds and `sent_ns` the
//! feed's wall clock (`CLOCK_REALTIME`, nanoseconds) when the message was written to the socket. The last message
//! of a connection is `{"e":"end","cseq":N}`: N trades were meant for it. Trades are partitioned over connections
//! by symbol, so every symbol's trades arrive in order on one connection.

use std::borrow::Cow;

use serde::Deserialize;

use crate::feed::FeedTick;

impl FeedTick {
    /// The message without its closing send time: `...,"sent_ns":` (the sender appends the clock and `}`).
    pub fn message_prefix(&self, cseq: u64) -> String {
        format!(
            r#"{{"e":"trade","seq":{},"cseq":{},"s":"{}","t":{},"p":"{}","q":"{}","m":{},"T":{},"sent_ns":"#,
            self.seq, cseq, self.symbol, self.seq, self.price, self.quantity, self.buyer_maker, self.ts_us
        )
    }
}

/// The last message of a connection: `ticks` trades were meant for it.
pub fn end_message(ticks: usize) -> String {
    format!(r#"{{"e":"end","cseq":{ticks}}}"#)
}

/// A trade as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The trade, as the engine's record type.
    pub tick: polaroid::Tick,
    /// Message number on its connection.
    pub cseq: u64,
    /// Feed's wall clock when it sent the message, ns.
    pub sent_ns: i64,
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A trade.
    Trade(Received),
    /// The connection's last message: `ticks` trades were meant for it.
    End {
        /// Trades meant for this connection.
        ticks: u64,
    },
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    e: Cow<'a, str>,
    seq: Option<u64>,
    cseq: Option<u64>,
    #[serde(borrow)]
    s: Option<Cow<'a, str>>,
    #[serde(borrow)]
    p: Option<Cow<'a, str>>,
    #[serde(borrow)]
    q: Option<Cow<'a, str>>,
    #[serde(rename = "T")]
    t: Option<i64>,
    sent_ns: Option<i64>,
}

/// Parses one message; the error is the reason it is malformed (a short category, used as a counter key).
pub fn parse(text: &str) -> Result<Event, &'static str> {
    let w: Wire = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => "wrong fields",
        _ => "invalid JSON",
    })?;
    match w.e.as_ref() {
        "trade" => {
            let symbol = w.s.ok_or("missing symbol")?;
            let price: f64 = w.p.ok_or("missing price")?.parse().map_err(|_| "bad price")?;
            let quantity: i64 = w.q.ok_or("missing quantity")?.parse().map_err(|_| "bad quantity")?;
            if !price.is_finite() || price <= 0.0 {
                return Err("bad price");
            }
            Ok(Event::Trade(Received {
                tick: polaroid::Tick {
                    seq: w.seq.ok_or("missing seq")?,
                    symbol: symbol.into_owned(),
                    price,
                    quantity,
                    ts_ns: w.t.ok_or("missing trade time")?.saturating_mul(1_000),
                },
                cseq: w.cseq.ok_or("missing cseq")?,
                sent_ns: w.sent_ns.ok_or("missing sent_ns")?,
            }))
        }
        "end" => Ok(Event::End { ticks: w.cseq.ok_or("missing cseq")? }),
        _ => Err("unknown event type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_messages_get_a_reason() {
        assert_eq!(parse("{not json"), Err("invalid JSON"));
        assert_eq!(parse(r#"{"e":"trade","seq":"x"}"#), Err("wrong fields"));
        assert_eq!(parse(r#"{"e":"kline"}"#), Err("unknown event type"));
        assert_eq!(parse(r#"{"e":"trade","seq":1,"cseq":0,"s":"A","p":"abc","q":"1","T":1,"sent_ns":1}"#), Err("bad price"));
        assert_eq!(parse(r#"{"e":"trade","seq":1,"cseq":0,"s":"A","p":"1.5","T":1,"sent_ns":1}"#), Err("missing quantity"));
        assert_eq!(parse(r#"{"e":"end","cseq":5}"#), Ok(Event::End { ticks: 5 }));
    }

    #[test]
    fn a_message_parses_back_to_the_same_trade() {
        let t = FeedTick { seq: 7, symbol: "SYM001".into(), price: 101.25, quantity: 300, ts_us: 1_767_623_400_017_512, buyer_maker: true };
        let text = format!("{}{}}}", t.message_prefix(3), 1_795_000_000_123_456_789i64);
        let got = parse(&text).expect("a well-formed trade");
        match got {
            Event::Trade(r) => {
                assert_eq!(r.tick, t.to_tick());
                assert_eq!(r.cseq, 3);
                assert_eq!(r.sent_ns, 1_795_000_000_123_456_789);
            }
            other => panic!("expected a trade, got {other:?}"),
        }
    }

    #[test]
    fn prices_survive_the_decimal_text_round_trip() {
        for p in [0.01, 1.1, 99.99, 123.45, 4567.89, 1e-7, 12345678.91] {
            let t = FeedTick { seq: 0, symbol: "S".into(), price: p, quantity: 1, ts_us: 0, buyer_maker: false };
            let text = format!("{}0}}", t.message_prefix(0));
            let Event::Trade(r) = parse(&text).unwrap() else { panic!("trade") };
            assert_eq!(r.tick.price.to_bits(), p.to_bits());
        }
    }
}
