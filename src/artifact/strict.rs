//! serde readers as strict as the JSON Schemas they stand in for: where
//! serde's derived readers are lenient (an array for an object, an object
//! for a name, `null` for an absent key), these refuse what the schema
//! refuses, so a format reader that deserializes an entry has also
//! validated it (see [`super::native`], [`super::flat`]).

use std::borrow::Cow;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `T` read from a JSON object only. serde's derived readers also take
/// an array of the fields in order (`["a", "gauge", "", {}, 1]` for an
/// entry), which the schema refuses: found by the soak.
pub(super) struct Object<T>(pub T);

impl<T> std::ops::Deref for Object<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData)).map(Object)
    }
}

/// An enum of names (a metric type), from a string only: serde would also
/// take `{"gauge": null}`, which the schemas refuse. The name is looked at
/// where it lies, never copied (one allocation an entry less).
pub(super) fn by_name<'de, D: Deserializer<'de>, T: for<'a> Deserialize<'a>>(
    d: D,
) -> Result<T, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> Deserialize<'a>> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<T, E> {
            use serde::de::IntoDeserializer;
            T::deserialize(name.into_deserializer())
        }
    }
    d.deserialize_str(V(std::marker::PhantomData))
}

/// A key that, when present, must hold a `T` (`null` included: the schema
/// refuses `"value": null` where `Option`'s own impl would read it as
/// absent).
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A string, borrowed when it has no escapes (a label's name or value).
/// Read straight as a string: the derived newtype goes through
/// `deserialize_newtype_struct` first, twice a label on every entry.
pub(super) struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}
