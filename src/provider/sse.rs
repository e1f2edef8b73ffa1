//! Server-Sent Events from a streaming response (eventsource-stream does the
//! framing).

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};

use super::ProviderError;

/// The events of `response`'s body; a broken connection is a cut stream.
pub fn events(response: reqwest::Response) -> impl Stream<Item = Result<Event, ProviderError>> {
    response
        .bytes_stream()
        .eventsource()
        .map(|event| event.map_err(|e| ProviderError::StreamCut(e.to_string())))
}
