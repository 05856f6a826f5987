import { ActivityLog } from '@/components/users/activity-log';

export default function ActivityPage() {
    return <ActivityLog />;
}
