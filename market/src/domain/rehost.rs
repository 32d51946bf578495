//! Copies of an imported product's images, kept in our media: a product imported from another
//! shop never shows that shop's files (no hotlinking: their server would see our visitors, and
//! could change or drop the file). Each image is fetched through the guarded fetcher (public
//! addresses only, redirects checked, timeouts), at most [`media::MAX_IMAGE`] bytes, and kept
//! only when its bytes are a PNG, JPEG, GIF or WebP image. One that fails is left out of the
//! draft and listed with why, for the preview or the progress page to say; it is never kept
//! as a link to the original.

use std::collections::HashMap;
use std::path::Path;

use shared::activitypub::fetch::Fetcher;
use shared::infrastructure::media;

use super::extract::Imported;

/// Most distinct images copied for one product (the rest are listed as skipped).
pub const MAX_COPIED: usize = 10;

/// An image of the source page that the draft goes without.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub url: String,
    pub why: String,
}

/// Fetches `url` and stores it; our address for it, or why not.
pub async fn copy(fetcher: &Fetcher, media_dir: &Path, url: &str) -> Result<String, String> {
    let bytes = fetcher
        .file(url, media::MAX_IMAGE)
        .await
        .map_err(|e| e.to_string())?;
    if media::sniff(&bytes).is_none() {
        return Err("not a PNG, JPEG, GIF or WebP image".into());
    }
    media::store_image(media_dir, bytes.into())
        .await
        .map(|stored| stored.url)
        .map_err(|e| e.to_string())
}

/// Points `imported`'s images (the product's and its variants') at our copies; those that
/// could not be copied are dropped and returned. Each address is fetched once.
pub async fn rehost(fetcher: &Fetcher, media_dir: &Path, imported: &mut Imported) -> Vec<Skipped> {
    let mut done: HashMap<String, Result<String, String>> = HashMap::new();
    let mut skipped = Vec::new();
    let wanted: Vec<String> = imported
        .images
        .iter()
        .cloned()
        .chain(imported.variants.iter().filter_map(|v| v.image.clone()))
        .collect();
    for url in wanted {
        if done.contains_key(&url) {
            continue;
        }
        let outcome = if done.len() >= MAX_COPIED {
            Err(format!("more than {MAX_COPIED} images"))
        } else {
            copy(fetcher, media_dir, &url).await
        };
        if let Err(why) = &outcome {
            skipped.push(Skipped {
                url: url.clone(),
                why: why.clone(),
            });
        }
        done.insert(url, outcome);
    }
    let ours = |url: &str| done.get(url).and_then(|r| r.as_ref().ok()).cloned();
    imported.images = imported.images.iter().filter_map(|u| ours(u)).collect();
    for v in &mut imported.variants {
        v.image = v.image.as_deref().and_then(ours);
    }
    skipped
}

/// The skipped images in a line, for an import's progress page.
pub fn note(skipped: &[Skipped]) -> Option<String> {
    (!skipped.is_empty()).then(|| {
        let list: Vec<String> = skipped
            .iter()
            .map(|s| format!("{} ({})", s.url, s.why))
            .collect();
        format!("Images left out: {}", list.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_each_image_left_out() {
        assert_eq!(note(&[]), None);
        let skipped = [
            Skipped {
                url: "https://shop.example/a.jpg".into(),
                why: "answered 404".into(),
            },
            Skipped {
                url: "https://shop.example/b.png".into(),
                why: "the file is over 5 MB".into(),
            },
        ];
        assert_eq!(
            note(&skipped).unwrap(),
            "Images left out: https://shop.example/a.jpg (answered 404); \
             https://shop.example/b.png (the file is over 5 MB)"
        );
    }
}
