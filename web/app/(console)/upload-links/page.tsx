import { UploadLinks } from '@/components/links/upload-links';

export default function UploadLinksPage() {
    return <UploadLinks />;
}
