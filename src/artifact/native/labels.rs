//! A native label object (an entry's or the top level's), read by serde
//! or built by the hand reader ([`super::direct`]): pairs sorted by name,
//! each name once, borrowed from the input where they need no unescaping.

use std::borrow::Cow;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::artifact::strict::Str;

/// A label object: pairs sorted by name, each name once. Names and values
/// stay borrowed from the input when they can.
#[derive(Default, Clone)]
pub(in crate::artifact) struct Labels<'a>(pub(super) Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Labels<'a> {
    /// The same labels, owning their strings.
    pub(in crate::artifact) fn into_owned(self) -> Labels<'static> {
        let own = |s: Cow<str>| Cow::Owned(s.into_owned());
        Labels(self.0.into_iter().map(|(k, v)| (own(k), own(v))).collect())
    }

    /// The labels as the JSON object they were read from.
    pub(in crate::artifact) fn to_value(&self) -> Value {
        let pairs = self.0.iter();
        Value::Object(
            pairs
                .map(|(k, v)| (k.to_string(), Value::from(&**v)))
                .collect(),
        )
    }

    /// The pairs sorted by name, or the name given twice.
    pub(super) fn sorted(
        mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<Labels<'a>, Cow<'a, str>> {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        match pairs.windows(2).position(|w| w[0].0 == w[1].0) {
            Some(i) => Err(pairs.swap_remove(i).0),
            None => Ok(Labels(pairs)),
        }
    }

    #[inline]
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        // Asked for every label of every entry, mostly of one or two
        // top-level labels: `==` rejects on length before comparing bytes.
        if self.0.len() <= 8 {
            return self.0.iter().find(|(k, _)| **k == *name).map(|(_, v)| &**v);
        }
        let i = self.0.binary_search_by(|(k, _)| (**k).cmp(name)).ok()?;
        Some(&self.0[i].1)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Labels<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Labels<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Labels<'a>, M::Error> {
                let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((Str(k), Str(v))) = map.next_entry::<Str, Str>()? {
                    pairs.push((k, v));
                }
                // A repeated name is refused here, as a repeated key
                // anywhere is (`super::dupkeys` on the schema path says
                // where both are).
                Labels::sorted(pairs)
                    .map_err(|name| M::Error::custom(format!("label {name:?} given twice")))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
