import { SharesList } from '@/components/shares/shares-list';

export default function SharesPage() {
    return <SharesList />;
}
