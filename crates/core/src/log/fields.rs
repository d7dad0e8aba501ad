//! The compact spelling of the state's fields in the writer's snapshot
//! (`DIR/state`, module `snapshot`): dates as Julian day numbers, keys and
//! key ids as their 32 bytes. Used through `#[serde(with = ...)]` by the
//! state and the entries; it knows neither.

/// A date as its Julian day number.
pub mod date {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        d.to_julian_day().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let day = i32::deserialize(d)?;
        Date::from_julian_day(day).map_err(serde::de::Error::custom)
    }
}

/// An optional date.
pub mod opt_date {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.to_julian_day()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<i32>::deserialize(d)?
            .map(|day| Date::from_julian_day(day).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// When and why a key's period ended, and the entry.
pub mod end {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer, K: Serialize + Copy>(
        e: &Option<(Date, K, u64)>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        e.map(|(d, k, i)| (d.to_julian_day(), k, i)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, K: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<(Date, K, u64)>, D::Error> {
        Option::<(i32, K, u64)>::deserialize(d)?
            .map(|(day, k, i)| {
                Date::from_julian_day(day)
                    .map(|d| (d, k, i))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

/// When an employee left, and the entry.
pub mod left {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(e: &Option<(Date, u64)>, s: S) -> Result<S::Ok, S::Error> {
        e.map(|(d, i)| (d.to_julian_day(), i)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(Date, u64)>, D::Error> {
        Option::<(i32, u64)>::deserialize(d)?
            .map(|(day, i)| {
                Date::from_julian_day(day)
                    .map(|d| (d, i))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

/// A public key as its 32 bytes.
pub mod key {
    use ed25519_dalek::VerifyingKey;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(k: &VerifyingKey, s: S) -> Result<S::Ok, S::Error> {
        k.to_bytes().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VerifyingKey, D::Error> {
        let bytes = <[u8; 32]>::deserialize(d)?;
        VerifyingKey::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// A key id as its 32 bytes.
pub mod keyid {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::keys::KeyId;

    pub fn serialize<S: Serializer>(k: &KeyId, s: S) -> Result<S::Ok, S::Error> {
        k.as_bytes().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<KeyId, D::Error> {
        Ok(KeyId::from_bytes(<[u8; 32]>::deserialize(d)?))
    }
}
